"""Metrics shared by dense_align methods."""
from .image_text_metric import ImageTextMetric, retrieval_recalls

__all__ = ['ImageTextMetric', 'retrieval_recalls']
