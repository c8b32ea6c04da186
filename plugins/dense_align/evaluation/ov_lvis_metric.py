"""LVIS AP / AP_r / AP_c / AP_f for open-vocabulary detection: mmdet's ``LVISMetric`` with the file's frequency
groups checked (AP_r is the open-vocabulary LVIS number: rare categories are the novel ones)."""
from typing import Optional

from mmdet.evaluation.metrics import LVISMetric
from mmdet.registry import METRICS as MMDET_METRICS

from ..registry import METRICS

FREQUENCIES = ('r', 'c', 'f')


@MMDET_METRICS.register_module()  # found by configs with default_scope='mmdet' too
@METRICS.register_module()
class OpenVocabLVISMetric(LVISMetric):
    """mmdet's ``LVISMetric`` (keys ``bbox_APr``, ``segm_APr``... under the ``lvis/`` prefix; runs on numpy 2 through
    :mod:`align_core.numpy_compat`), refusing an annotation file whose categories lack the ``frequency`` field that
    AP_r / AP_c / AP_f are grouped by (lvis would fail deep inside its evaluation, or not group at all).

    Args:
        ann_file: LVIS annotation file (v0.5 / v1 layout), required.
        **kwargs: mmdet ``LVISMetric`` arguments (``metric=['bbox', 'segm']``...).

    Raises:
        ValueError: categories without a ``frequency`` of ``'r'``, ``'c'`` or ``'f'``, naming the file and them.
    """

    def __init__(self, ann_file: Optional[str] = None, **kwargs) -> None:
        if ann_file is None:
            raise ValueError('OpenVocabLVISMetric needs ann_file: the LVIS file with the category frequencies')
        super().__init__(ann_file=ann_file, **kwargs)
        bad = [(cat['id'], cat.get('name')) for cat in self._lvis_api.cats.values()
               if cat.get('frequency') not in FREQUENCIES]
        if bad:
            raise ValueError(f'{ann_file}: {len(bad)} LVIS categories have no "frequency" of r/c/f (needed for AP_r, '
                             f'AP_c, AP_f), e.g. (id, name) {bad[:5]}')
