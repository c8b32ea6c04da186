"""Statistics of a k-fold comparison paired by fold: a fixed baseline per fold against trained runs (several seeds)."""
from typing import Dict, Mapping, Tuple

import numpy as np


def paired_by_fold(baseline: Mapping[int, float], trained: Mapping[Tuple[int, int], float]) -> Dict[str, float]:
    """Compare per-fold scores: each fold's trained score is the mean over its seeds, and the difference is taken
    fold by fold against that fold's baseline. Standard deviations are sample ones (ddof=1) over the folds.

    Args:
        baseline: fold -> score of the untrained model.
        trained: (fold, seed) -> score after training.

    Returns:
        ``baseline_mean/std``, ``trained_mean/std``, ``diff_mean/std`` (trained - baseline), ``seed_std`` (mean
        over folds of the std over seeds), ``folds_improved`` and ``folds``.
    """
    folds = sorted(baseline)
    missing = [f for f in folds if not any(k[0] == f for k in trained)]
    if len(folds) < 2 or missing:
        raise ValueError(f'paired_by_fold: need >= 2 folds, each with a trained run; folds {folds}, without runs '
                         f'{missing}')
    per_seed = {f: np.array([v for (fold, _), v in sorted(trained.items()) if fold == f]) for f in folds}
    before = np.array([baseline[f] for f in folds])
    after = np.array([per_seed[f].mean() for f in folds])
    diff = after - before
    seed_std = np.mean([s.std(ddof=1) if s.size > 1 else 0.0 for s in per_seed.values()])
    return dict(baseline_mean=before.mean(), baseline_std=before.std(ddof=1), trained_mean=after.mean(),
                trained_std=after.std(ddof=1), diff_mean=diff.mean(), diff_std=diff.std(ddof=1),
                seed_std=float(seed_std), folds_improved=int((diff > 0).sum()), folds=len(folds))
