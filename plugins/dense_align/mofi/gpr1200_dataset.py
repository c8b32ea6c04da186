"""The GPR1200 gallery layout: one folder of images named ``<category>_<anything>.<ext>`` (the category id first)."""
import os
import os.path as osp
from typing import List

from mmengine.dataset import BaseDataset

from ..imagetext.classification_dataset import IMAGE_EXTENSIONS
from ..registry import DATASETS


@DATASETS.register_module()
class GPR1200Dataset(BaseDataset):
    """GPR1200 images (12,000 = 1,200 categories x 10) in the order of the benchmark's ``evaluate.py``: sorted by
    category id (ties by file name), ``gt_label`` = category id, so that ``InstanceRetrievalMetric(domains=
    'gpr1200')`` finds the six domains. For a gallery with a folder per class use ``ZeroShotClassificationDataset``
    (its ``gt_label`` is the folder index) with ``InstanceRetrievalMetric(domains=None)``.

    Args:
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments; images are read from ``data_prefix['img']``.
    """

    def __init__(self, ann_file: str = '', **kwargs) -> None:
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Scan the image folder.

        Returns:
            One dict per image: ``img_path``, ``img_id`` (file name), ``gt_label``.
        """
        folder = self.data_prefix.get('img', '')
        if not osp.isdir(folder):
            raise FileNotFoundError(f'GPR1200Dataset: image folder {folder} does not exist')
        items = []
        for name in os.listdir(folder):
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            head = name.split('_')[0]
            if not head.isdigit():
                raise ValueError(f'GPR1200Dataset: {osp.join(folder, name)} does not start with "<category id>_" '
                                 f'(the GPR1200 layout)')
            items.append((int(head), name))
        if not items:
            raise ValueError(f'GPR1200Dataset: no image in {folder}')
        return [dict(img_path=osp.join(folder, name), img_id=name, gt_label=category)
                for category, name in sorted(items)]
