"""Regression on frozen embeddings: a ridge-regularised linear head fitted on training embeddings, scored on held-out
ones by Spearman, Pearson (x100) and mean absolute error."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from scipy.stats import pearsonr, spearmanr

from ..registry import METRICS


def ridge_fit_predict(train_x: np.ndarray, train_y: Sequence[float], test_x: np.ndarray,
                      alpha: float = 1.0) -> np.ndarray:
    """Closed-form ridge regression with an unpenalised intercept (as scikit-learn's ``Ridge(alpha)``).

    Args:
        train_x: (N, D) training features.
        train_y: N targets.
        test_x: (M, D) features to predict.
        alpha: L2 penalty (>= 0).

    Returns:
        (M,) predictions.
    """
    x = np.asarray(train_x, dtype=np.float64)
    y = np.asarray(train_y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0], ) or x.shape[0] < 2:
        raise ValueError(f'ridge_fit_predict: need (N, D) features and N >= 2 targets, got {x.shape} and {y.shape}')
    if alpha < 0:
        raise ValueError(f'ridge_fit_predict: alpha must be >= 0, got {alpha}')
    mean_x, mean_y = x.mean(0), y.mean()
    xc = x - mean_x
    if x.shape[1] <= x.shape[0]:
        weights = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - mean_y))
    else:  # the dual form: an N x N system when there are more features than samples
        weights = xc.T @ np.linalg.solve(xc @ xc.T + alpha * np.eye(x.shape[0]), y - mean_y)
    return (np.asarray(test_x, dtype=np.float64) - mean_x) @ weights + mean_y


def regression_scores(predicted: Sequence[float], gold: Sequence[float]) -> Dict[str, float]:
    """``{'spearman': x100, 'pearson': x100, 'mae': mean |predicted - gold|}``."""
    predicted, gold = np.asarray(predicted, dtype=np.float64), np.asarray(gold, dtype=np.float64)
    if predicted.shape != gold.shape or predicted.size < 2:
        raise ValueError(f'regression_scores: need equal-length predictions and targets (>= 2), got '
                         f'{predicted.shape} and {gold.shape}')
    return dict(spearman=100 * float(spearmanr(predicted, gold)[0]), pearson=100 * float(pearsonr(predicted, gold)[0]),
                mae=float(np.abs(predicted - gold).mean()))


def linear_probe_regression(train_x: np.ndarray, train_y: Sequence[float], test_x: np.ndarray,
                            test_y: Sequence[float], alpha: float = 1.0) -> Dict[str, float]:
    """Fit :func:`ridge_fit_predict` on the training embeddings and score the held-out ones.

    Args:
        train_x: (N, D) training embeddings.
        train_y: N targets.
        test_x: (M, D) held-out embeddings.
        test_y: M targets.
        alpha: ridge penalty.

    Returns:
        :func:`regression_scores` of the held-out predictions.
    """
    return regression_scores(ridge_fit_predict(train_x, train_y, test_x, alpha), test_y)


def ridge_alpha_by_cv(train_x: np.ndarray, train_y: Sequence[float],
                      alphas: Sequence[float] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0), num_folds: int = 5,
                      seed: int = 0) -> float:
    """The ridge penalty of ``alphas`` with the lowest mean squared error in a ``num_folds``-fold cross-validation
    on the training data only (ties: the first).

    Args:
        train_x: (N, D) training features.
        train_y: N targets.
        alphas: candidate penalties.
        num_folds: folds (>= 2, <= N).
        seed: fold shuffling seed.

    Returns:
        The chosen penalty.
    """
    x, y = np.asarray(train_x, dtype=np.float64), np.asarray(train_y, dtype=np.float64)
    if not 2 <= num_folds <= len(y) or not len(alphas):
        raise ValueError(f'ridge_alpha_by_cv: need 2 <= num_folds <= {len(y)} and some alphas, got {num_folds}, '
                         f'{list(alphas)}')
    folds = np.array_split(np.random.default_rng(seed).permutation(len(y)), num_folds)
    errors = []
    for alpha in alphas:
        squared = 0.0
        for fold in folds:
            rest = np.setdiff1d(np.arange(len(y)), fold)
            squared += float(((ridge_fit_predict(x[rest], y[rest], x[fold], alpha) - y[fold]) ** 2).sum())
        errors.append(squared)
    return float(alphas[int(np.argmin(errors))])


@METRICS.register_module()
class RegressionProbeMetric(BaseMetric):
    """Cross-validated linear regression on the frozen embeddings a model predicts: reads ``embedding`` and the
    ``label_key`` target of every sample, splits them into ``num_folds`` shuffled folds, fits the ridge head on the
    other folds and predicts each fold; reports the scores of the pooled out-of-fold predictions.

    Args:
        label_key: the target field of a sample.
        num_folds: cross-validation folds (>= 2).
        alpha: ridge penalty.
        seed: fold shuffling seed.
        **kwargs: passed to :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix = 'regression'

    def __init__(self, label_key: str = 'label', num_folds: int = 5, alpha: float = 1.0, seed: int = 0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if num_folds < 2:
            raise ValueError(f'RegressionProbeMetric: num_folds must be >= 2, got {num_folds}')
        self.label_key, self.num_folds, self.alpha, self.seed = label_key, num_folds, alpha, seed

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for i, sample in enumerate(data_samples):
            if 'embedding' not in sample or sample.get(self.label_key) is None:
                raise KeyError(f'RegressionProbeMetric: sample {i} of the batch needs "embedding" and '
                               f'{self.label_key!r} (got keys {sorted(sample)})')
            embedding = sample['embedding']
            embedding = embedding.numpy() if hasattr(embedding, 'numpy') else np.asarray(embedding)
            self.results.append((embedding.astype(np.float64), float(sample[self.label_key])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        x = np.stack([r[0] for r in results])
        y = np.array([r[1] for r in results])
        if len(y) < 2 * self.num_folds:
            raise ValueError(f'RegressionProbeMetric: {len(y)} samples are too few for {self.num_folds} folds')
        folds = np.array_split(np.random.default_rng(self.seed).permutation(len(y)), self.num_folds)
        predicted = np.empty_like(y)
        for fold in folds:
            train = np.setdiff1d(np.arange(len(y)), fold)
            predicted[fold] = ridge_fit_predict(x[train], y[train], x[fold], self.alpha)
        return regression_scores(predicted, y)
