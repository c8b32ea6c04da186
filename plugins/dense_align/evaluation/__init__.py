"""Metrics shared by dense_align methods."""
from .image_text_metric import ImageTextMetric, retrieval_recalls
from .video_accuracy import VideoAccuracy, topk_accuracy
from .zero_shot_classification import ZeroShotAccuracy, resolve_class_names, resolve_templates, zero_shot_classifier

__all__ = ['ImageTextMetric', 'retrieval_recalls', 'VideoAccuracy', 'topk_accuracy', 'ZeroShotAccuracy',
           'resolve_class_names', 'resolve_templates', 'zero_shot_classifier']

try:  # the open-vocabulary detection metrics need mmdet; the package works without it
    from .ov_coco_split import OpenVocabCocoMetric
    from .ov_lvis_metric import OpenVocabLVISMetric
    __all__ += ['OpenVocabCocoMetric', 'OpenVocabLVISMetric']
except ImportError:
    pass
