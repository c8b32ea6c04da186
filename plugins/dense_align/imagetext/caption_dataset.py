"""Image-caption pairs for contrastive pre-training: COCO captions JSON, a JSON/JSONL list, or a CSV file."""
import csv
import json
import os.path as osp
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset

from ..registry import DATASETS


def _read_pairs(path: str) -> List[Dict]:
    """(image file, caption, image id) records of an annotation file, first caption per image."""
    if path.endswith('.csv'):
        with open(path, newline='') as f:
            rows = list(csv.DictReader(f))
        if rows and not {'image', 'caption'} <= set(rows[0]):
            raise KeyError(f'{path}: CSV needs the columns image,caption; found {list(rows[0])}')
        return [dict(file=r['image'], caption=r['caption'], image_id=i) for i, r in enumerate(rows)]
    with open(path) as f:
        if path.endswith('.jsonl'):
            records = [json.loads(line) for line in f if line.strip()]
        else:
            records = json.load(f)
    if isinstance(records, dict):  # COCO captions
        if 'images' not in records or 'annotations' not in records:
            raise KeyError(f'{path}: a COCO captions file needs "images" and "annotations"')
        captions: Dict[int, str] = {}
        for ann in records['annotations']:
            captions.setdefault(ann['image_id'], ann['caption'])
        return [dict(file=img['file_name'], caption=captions[img['id']], image_id=img['id'])
                for img in records['images'] if img['id'] in captions]
    for i, record in enumerate(records):
        if not {'image', 'caption'} <= set(record):
            raise KeyError(f'{path}: record {i} needs "image" and "caption" keys, has {sorted(record)}')
    return [dict(file=r['image'], caption=r['caption'], image_id=r.get('id', i)) for i, r in enumerate(records)]


def _largest_object_labels(path: str) -> Dict[int, int]:
    """image id -> 0-based category index of its largest object, from a COCO instances file."""
    with open(path) as f:
        coco = json.load(f)
    order = {cat['id']: i for i, cat in enumerate(coco['categories'])}
    best: Dict[int, tuple] = {}
    for ann in coco['annotations']:
        if ann['image_id'] not in best or ann['area'] > best[ann['image_id']][0]:
            best[ann['image_id']] = (ann['area'], order[ann['category_id']])
    return {image_id: label for image_id, (_, label) in best.items()}


@DATASETS.register_module()
class ImageCaptionDataset(BaseDataset):
    """Image-caption pairs, optionally with a class label per image for zero-shot evaluation.

    Args:
        ann_file: COCO captions JSON, a JSON/JSONL list of ``{"image", "caption"}`` records, or a CSV with
            ``image,caption`` columns; image paths are relative to ``data_prefix['img']``.
        label_file: optional COCO instances file; each image's ``gt_label`` is the category of its largest object.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``data_prefix``, ``pipeline``...).
    """

    def __init__(self, ann_file: str, label_file: Optional[str] = None, **kwargs) -> None:
        self.label_file = label_file
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the pairs (and labels).

        Returns:
            One dict per image: ``img_path``, ``caption``, ``img_id``, ``gt_label`` (-1 without labels).
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'caption file {self.ann_file} does not exist')
        pairs = _read_pairs(self.ann_file)
        if not pairs:
            raise ValueError(f'{self.ann_file} holds no image-caption pairs')
        labels: Dict[int, int] = {}
        if self.label_file:
            label_path = self.label_file if osp.isabs(self.label_file) else osp.join(self.data_root, self.label_file)
            labels = _largest_object_labels(label_path)
        prefix = self.data_prefix.get('img', '')
        return [dict(img_path=osp.join(prefix, p['file']), caption=p['caption'], img_id=p['image_id'],
                     gt_label=labels.get(p['image_id'], -1)) for p in pairs]
