"""A labelled image set for zero-shot classification: a folder per class, a list file, or an mmpretrain-style
annotation file."""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset

from ..registry import DATASETS

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def _scan_folders(root: str) -> Tuple[List[str], List[Tuple[str, int]]]:
    """Class names (sorted sub-folder names, as torchvision's ImageFolder) and (relative path, label) pairs."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'ZeroShotClassificationDataset: image folder {root} does not exist')
    classes = sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)))
    if not classes:
        raise ValueError(f'ZeroShotClassificationDataset: {root} has no class sub-folders and no ann_file was given')
    items = []
    for label, name in enumerate(classes):
        for folder, _, files in sorted(os.walk(osp.join(root, name))):
            items += [(osp.relpath(osp.join(folder, f), root), label) for f in sorted(files)
                      if f.lower().endswith(IMAGE_EXTENSIONS)]
    return classes, items


def _read_list(path: str) -> List[Tuple[str, int]]:
    """``relative/path label`` per line (mmpretrain's text annotation format)."""
    items = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise ValueError(f'{path}:{number}: expected "<image path> <integer label>", got {line.strip()!r}')
            items.append((parts[0], int(parts[1])))
    return items


def _read_json(path: str) -> Tuple[Optional[List[str]], List[Tuple[str, int]]]:
    """mmpretrain's JSON annotation: ``{"metainfo": {"classes": [...]}, "data_list": [{"img_path", "gt_label"}]}``."""
    with open(path) as f:
        content = json.load(f)
    if not isinstance(content, dict) or 'data_list' not in content:
        raise KeyError(f'{path}: expected an mmpretrain-style annotation with a "data_list" key')
    items = []
    for i, record in enumerate(content['data_list']):
        if 'img_path' not in record or 'gt_label' not in record:
            raise KeyError(f'{path}: data_list[{i}] needs "img_path" and "gt_label", has {sorted(record)}')
        items.append((record['img_path'], int(record['gt_label'])))
    return content.get('metainfo', {}).get('classes'), items


@DATASETS.register_module()
class ZeroShotClassificationDataset(BaseDataset):
    """Images with class labels, read from a folder per class, a list file or an mmpretrain JSON annotation.

    Args:
        ann_file: ``''`` to scan ``data_prefix['img']`` for one sub-folder per class; a ``.txt`` list of
            ``<path> <label>`` lines; or an mmpretrain-style ``.json``. Paths are relative to ``data_prefix['img']``.
        classes: class names in label order; for a list file they are required (no names in the file), otherwise
            they replace the folder names / the JSON's ``metainfo.classes``. The model's ``class_names`` should be
            the same list.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``data_prefix``, ``pipeline``...).
    """

    def __init__(self, ann_file: str = '', classes: Optional[Sequence[str]] = None, **kwargs) -> None:
        self.class_names = list(classes) if classes is not None else None
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the images and labels; the class names go to ``metainfo['classes']``.

        Returns:
            One dict per image: ``img_path``, ``gt_label``, ``img_id``.
        """
        prefix = self.data_prefix.get('img', '') or self.data_root
        if not self.ann_file or osp.isdir(self.ann_file):
            classes, items = _scan_folders(prefix)
        elif not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'ZeroShotClassificationDataset: ann_file {self.ann_file} does not exist')
        elif self.ann_file.endswith('.json'):
            classes, items = _read_json(self.ann_file)
        else:
            classes, items = None, _read_list(self.ann_file)
        classes = self.class_names or classes
        if classes is None:
            raise ValueError(f'ZeroShotClassificationDataset: {self.ann_file} names no classes; pass classes=[...]')
        bad = [label for _, label in items if not 0 <= label < len(classes)]
        if bad:
            raise ValueError(f'ZeroShotClassificationDataset: label {bad[0]} outside [0, {len(classes)}) for the '
                             f'{len(classes)} classes')
        self._metainfo['classes'] = tuple(classes)
        return [dict(img_path=osp.join(prefix, path), gt_label=label, img_id=i)
                for i, (path, label) in enumerate(items)]
