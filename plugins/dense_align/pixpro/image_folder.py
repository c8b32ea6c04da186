"""Unlabeled images for self-supervised pre-training: an ImageNet-style tree, any folder, or a file list."""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmengine.fileio import list_dir_or_file

from ..registry import DATASETS

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class UnlabeledImageFolder(BaseDataset):
    """Every image under ``data_root/data_prefix['img']`` (searched recursively, so ImageNet's class folders work),
    or the images named in ``ann_file`` (one path per line relative to the image folder; anything after a space, such
    as an ImageNet label, is ignored).

    Args:
        ann_file: optional file list; empty means "scan the folder".
        data_root: dataset root.
        data_prefix: ``dict(img='train/')`` folder of the images, relative to ``data_root``.
        pipeline: transforms.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str = '', data_root: Optional[str] = '', data_prefix: dict = dict(img=''),
                 pipeline: list = [], **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, pipeline=pipeline,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        """Returns:
            ``[dict(img_path=...)]`` sorted by path.

        Raises:
            FileNotFoundError: the image folder or a listed image does not exist.
            ValueError: no image found, or the file list is empty.
        """
        folder = self.data_prefix.get('img', '') or self.data_root or ''
        if self.ann_file:
            with open(self.ann_file, encoding='utf-8') as f:
                names = [line.split()[0] for line in f if line.strip()]
            if not names:
                raise ValueError(f'UnlabeledImageFolder: file list {self.ann_file} names no image')
            paths = [osp.join(folder, name) for name in names]
            missing = [p for p in paths if not osp.isfile(p)]
            if missing:
                raise FileNotFoundError(f'UnlabeledImageFolder: {len(missing)} image(s) listed in {self.ann_file} '
                                        f'do not exist, e.g. {missing[0]}')
        else:
            if not osp.isdir(folder):
                raise FileNotFoundError(f'UnlabeledImageFolder: image folder {folder} does not exist')
            paths = sorted(osp.join(folder, name) for name in list_dir_or_file(folder, list_dir=False, recursive=True)
                           if name.lower().endswith(IMAGE_EXTENSIONS))
            if not paths:
                raise ValueError(f'UnlabeledImageFolder: no image ({", ".join(IMAGE_EXTENSIONS)}) under {folder}')
        return [dict(img_path=p) for p in paths]
