"""A video recognition dataset from an annotation list (``path label`` lines) and an ``id,name`` class file."""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .class_names import read_class_file


@DATASETS.register_module()
class VideoDataset(BaseDataset):
    """Each annotation line is ``<path> <label>``, the path relative to ``data_prefix['video']``; a path may be a
    video file (decoded with OpenCV) or a folder of frame images (sorted by name).

    Args:
        ann_file: the annotation list.
        class_file: ``id,name`` lines; its names become ``metainfo['classes']`` and bound the labels.
        data_root: dataset root.
        data_prefix: ``dict(video='videos/')``.
        pipeline: transforms.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, class_file: str, data_root: Optional[str] = '',
                 data_prefix: dict = dict(video=''), pipeline: list = [], **kwargs) -> None:
        if data_root and not osp.isabs(class_file):
            class_file = osp.join(data_root, class_file)
        classes = read_class_file(class_file)
        self.class_file = class_file
        super().__init__(ann_file=ann_file, metainfo=dict(classes=tuple(classes)), data_root=data_root,
                         data_prefix=data_prefix, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Returns:
            ``[dict(filename, label)]`` in file order.

        Raises:
            FileNotFoundError: the annotation file does not exist.
            ValueError: a malformed line, a label outside the class file, or an empty list.
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'VideoDataset: annotation file {self.ann_file} does not exist')
        num_classes = len(self.metainfo['classes'])
        folder = self.data_prefix.get('video', '')
        data = []
        with open(self.ann_file, encoding='utf-8') as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                path, _, label = line.strip().rpartition(' ')
                if not path or not label.lstrip('-').isdigit():
                    raise ValueError(f'{self.ann_file}:{line_no}: expected "<path> <label>", got {line.strip()!r}')
                if not 0 <= int(label) < num_classes:
                    raise ValueError(f'{self.ann_file}:{line_no}: label {label} is not an id of {self.class_file} '
                                     f'({num_classes} classes, ids 0..{num_classes - 1})')
                data.append(dict(filename=osp.join(folder, path), label=int(label)))
        if not data:
            raise ValueError(f'VideoDataset: {self.ann_file} lists no video')
        return data
