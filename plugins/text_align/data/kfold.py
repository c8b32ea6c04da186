"""Stratified k-fold splitting: every fold holds each class in (nearly) the corpus's proportion."""
from typing import List, Sequence, Tuple

import numpy as np


def stratified_folds(labels: Sequence[int], num_folds: int, seed: int = 0) -> List[np.ndarray]:
    """Split the indices of ``labels`` into ``num_folds`` disjoint folds that together cover every index; within
    each class the indices are shuffled (``seed``) and dealt to the folds in turn, so a class of n members gives
    each fold ``n // num_folds`` or one more.

    Args:
        labels: one class label per item.
        num_folds: number of folds (>= 2).
        seed: shuffling seed; the same seed gives the same folds.

    Returns:
        ``num_folds`` sorted index arrays (the held-out items of each fold).
    """
    labels = np.asarray(labels)
    if num_folds < 2:
        raise ValueError(f'stratified_folds: num_folds must be >= 2, got {num_folds}')
    classes, counts = np.unique(labels, return_counts=True)
    if counts.size and counts.min() < num_folds:
        raise ValueError(f'stratified_folds: class {classes[counts.argmin()].item()!r} has {counts.min()} items, '
                         f'fewer than num_folds={num_folds}')
    rng = np.random.default_rng(seed)
    folds: List[list] = [[] for _ in range(num_folds)]
    offset = 0  # continue dealing where the previous class stopped, so fold sizes differ by at most one
    for label in classes:
        members = rng.permutation(np.flatnonzero(labels == label))
        for i, index in enumerate(members):
            folds[(offset + i) % num_folds].append(int(index))
        offset += len(members)
    return [np.array(sorted(fold), dtype=np.int64) for fold in folds]


def fold_split(labels: Sequence[int], num_folds: int, fold: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Training and held-out indices of one fold of :func:`stratified_folds`.

    Args:
        labels: one class label per item.
        num_folds: number of folds.
        fold: which fold is held out (0-based).
        seed: shuffling seed.

    Returns:
        ``(train_indices, test_indices)``, sorted and disjoint.
    """
    if not 0 <= fold < num_folds:
        raise ValueError(f'fold_split: fold must be in [0, {num_folds}), got {fold}')
    folds = stratified_folds(labels, num_folds, seed)
    train = np.concatenate([f for i, f in enumerate(folds) if i != fold])
    return np.sort(train), folds[fold]
