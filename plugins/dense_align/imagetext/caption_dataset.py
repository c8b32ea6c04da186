"""The shared image-caption dataset plus a class label per image (for zero-shot evaluation on caption data)."""
import json
import os.path as osp
from typing import Dict, List, Optional

from ..datasets.image_text import CaptionFileDataset
from ..registry import DATASETS


def _largest_object_labels(path: str) -> Dict[int, int]:
    """image id -> 0-based category index of its largest object, from a COCO instances file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'ImageCaptionDataset: label_file {path} does not exist')
    with open(path) as f:
        coco = json.load(f)
    order = {cat['id']: i for i, cat in enumerate(coco['categories'])}
    best: Dict[int, tuple] = {}
    for ann in coco['annotations']:
        if ann['image_id'] not in best or ann['area'] > best[ann['image_id']][0]:
            best[ann['image_id']] = (ann['area'], order[ann['category_id']])
    return {image_id: label for image_id, (_, label) in best.items()}


@DATASETS.register_module()
class ImageCaptionDataset(CaptionFileDataset):
    """:class:`CaptionFileDataset` (every caption of each image: COCO's 5, BLIP/Karpathy caption lists, one row per
    caption grouped by image) with a ``gt_label`` per image.

    Args:
        ann_file: the caption file, in any form ``CaptionFileDataset`` reads.
        label_file: optional COCO instances file; each image's ``gt_label`` is the category of its largest object
            (-1 without a label file or for an image without objects).
        **kwargs: :class:`CaptionFileDataset` arguments (``img_key``, ``data_root``, ``data_prefix``, ``pipeline``...).
    """

    def __init__(self, ann_file: str, label_file: Optional[str] = None, **kwargs) -> None:
        self.label_file = label_file
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the images, their captions and labels.

        Returns:
            One dict per image: ``img_path``, ``img_id``, ``captions``, ``gt_label``.
        """
        data_list = super().load_data_list()
        labels: Dict[int, int] = {}
        if self.label_file:
            label_path = self.label_file if osp.isabs(self.label_file) else osp.join(self.data_root, self.label_file)
            labels = _largest_object_labels(label_path)
        for info in data_list:
            info['gt_label'] = labels.get(info['img_id'], -1)
        return data_list
