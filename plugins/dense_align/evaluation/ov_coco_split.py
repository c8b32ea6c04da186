"""OV-COCO novel / base AP50: mmdet 3.3's ``OVCocoMetric`` with its base / novel split checked against the file."""
from typing import Dict, List, Sequence

from mmdet.evaluation.metrics import OVCocoMetric
from mmdet.registry import METRICS as MMDET_METRICS

from ..registry import METRICS


def check_ov_split(classes: Sequence[str], base: Sequence[str], novel: Sequence[str], file_classes: Sequence[str],
                   ann_file: str) -> None:
    """Refuse a base / novel split that would make mmdet's base or novel AP silently mean something else.

    pycocotools' ``getCatIds(catNms=[])`` returns every category, and names missing from the file are dropped, so an
    empty or misspelt split would quietly average the wrong categories.

    Args:
        classes: the evaluated class names (``dataset_meta['classes']``).
        base: base class names.
        novel: novel class names.
        file_classes: category names of the annotation file.
        ann_file: the annotation file (for messages).

    Raises:
        ValueError: an empty split, names that are not categories of the file or not in ``classes``, or a name in
            both splits.
    """
    for name, split in (('base_classes', base), ('novel_classes', novel)):
        if not split:
            raise ValueError(f'OV-COCO evaluation: dataset_meta {name} is empty')
        missing = [c for c in split if c not in file_classes]
        if missing:
            raise ValueError(f'OV-COCO evaluation: {name} {missing} are not categories of {ann_file}')
        outside = [c for c in split if c not in classes]
        if outside:
            raise ValueError(f'OV-COCO evaluation: {name} {outside} are not in dataset_meta classes')
    both = sorted(set(base) & set(novel))
    if both:
        raise ValueError(f'OV-COCO evaluation: {both} are listed as both base and novel classes')


@MMDET_METRICS.register_module()  # found by configs with default_scope='mmdet' too
@METRICS.register_module()
class OpenVocabCocoMetric(OVCocoMetric):
    """COCO AP plus ``base_ap50`` / ``novel_ap50`` (and ``base_ap`` / ``novel_ap``) over the split in
    ``dataset_meta['base_classes']`` / ``['novel_classes']``, computed by mmdet's ``OVCocoMetric`` (precision at IoU
    0.5 over recall, averaged over the split's categories, as OVR-CNN / Detic report it); the split is checked first
    by :func:`check_ov_split`. Arguments are mmdet ``CocoMetric``'s; ``ann_file`` is required.
    """

    def __init__(self, ann_file: str, **kwargs) -> None:
        super().__init__(ann_file=ann_file, **kwargs)
        self.ann_file = ann_file

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Check the split, then compute the metrics as ``OVCocoMetric`` does.

        Args:
            results: the processed results of every batch.

        Returns:
            The COCO metrics with ``base_ap50``, ``novel_ap50``, ``base_ap`` and ``novel_ap``.
        """
        meta = self.dataset_meta or {}
        if 'base_classes' not in meta or 'novel_classes' not in meta:
            raise KeyError(f"OV-COCO evaluation: dataset_meta needs 'base_classes' and 'novel_classes'; it has "
                           f'{sorted(meta)}')
        file_classes = [cat['name'] for cat in self._coco_api.load_cats(self._coco_api.get_cat_ids())]
        check_ov_split(meta['classes'], meta['base_classes'], meta['novel_classes'], file_classes, self.ann_file)
        return super().compute_metrics(results)
