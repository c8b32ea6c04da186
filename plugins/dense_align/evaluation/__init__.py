"""Metrics shared by dense_align methods."""
from .image_text_metric import ImageTextMetric, retrieval_recalls
from .video_accuracy import VideoAccuracy, topk_accuracy

__all__ = ['ImageTextMetric', 'retrieval_recalls', 'VideoAccuracy', 'topk_accuracy']
