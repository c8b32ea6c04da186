"""Semantic textual similarity: Spearman and Pearson correlation of cosine similarities with gold scores."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from scipy.stats import pearsonr, spearmanr

from ..registry import METRICS


def sts_correlations(predicted: Sequence[float], gold: Sequence[float]) -> Dict[str, float]:
    """Args:
        predicted: model similarities.
        gold: human scores.

    Returns:
        ``{'spearman': x100, 'pearson': x100}``.
    """
    predicted, gold = np.asarray(predicted, dtype=np.float64), np.asarray(gold, dtype=np.float64)
    if predicted.shape != gold.shape or predicted.size < 2:
        raise ValueError(f'sts_correlations: need two equal-length sequences of >= 2 scores, got {predicted.shape} '
                         f'and {gold.shape}')
    return dict(spearman=100 * float(spearmanr(predicted, gold)[0]), pearson=100 * float(pearsonr(predicted, gold)[0]))


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (N, D) arrays."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True).clip(min=1e-12)
    b = b / np.linalg.norm(b, axis=1, keepdims=True).clip(min=1e-12)
    return (a * b).sum(axis=1)


@METRICS.register_module()
class STSMetric(BaseMetric):
    """Reads ``similarity`` and ``score`` of each predicted pair; reports Spearman and Pearson (x100)."""

    default_prefix = 'sts'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append((float(sample['similarity']), float(sample['score'])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        predicted, gold = zip(*results)
        return sts_correlations(predicted, gold)
