"""How well embeddings separate labelled classes: k-NN accuracy and same-label retrieval MAP."""
from typing import Dict, Sequence

import numpy as np

from .classification import linear_probe_accuracy
from .retrieval import retrieval_metrics


def held_out_label_scores(embeddings: np.ndarray, labels: Sequence[int], train: np.ndarray, test: np.ndarray,
                          k: int = 5) -> Dict[str, float]:
    """Scores (%) of one fold: k-NN accuracy (training items vote), same-label MAP among the held-out items only,
    and the accuracy of a logistic regression fitted on the training items.

    Args:
        embeddings: (N, D) embeddings of every item.
        labels: N labels.
        train: indices of the training items.
        test: indices of the held-out items (disjoint from ``train``).
        k: neighbours of the k-NN vote.

    Returns:
        ``knn_accuracy``, ``same_label_map``, ``logreg_accuracy``.
    """
    labels = np.asarray(labels)
    if np.intersect1d(train, test).size:
        raise ValueError('held_out_label_scores: the training and held-out indices overlap')
    x_train, y_train, x_test, y_test = embeddings[train], labels[train], embeddings[test], labels[test]
    return dict(knn_accuracy=knn_accuracy(x_train, y_train, x_test, y_test, k),
                same_label_map=same_label_map(x_test, y_test),
                logreg_accuracy=linear_probe_accuracy(x_train, y_train, x_test, y_test)['accuracy'])


def knn_accuracy(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray, test_y: Sequence[int],
                 k: int = 5) -> float:
    """Accuracy (%) of a k-nearest-neighbour vote (cosine similarity) of the training items on the test items.

    A tie of votes goes to the tied class whose voters have the larger summed cosine.

    Args:
        train_x: (N, D) training embeddings.
        train_y: N labels.
        test_x: (M, D) test embeddings.
        test_y: M labels.
        k: neighbours per test item (at most N).

    Returns:
        Accuracy in percent.
    """
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if not 0 < k <= len(train_y):
        raise ValueError(f'knn_accuracy: k must be in [1, {len(train_y)}] (the training items), got {k}')
    similarity = _normalise(test_x) @ _normalise(train_x).T
    nearest = np.argsort(-similarity, axis=1, kind='stable')[:, :k]
    classes = np.unique(train_y)
    votes = np.stack([(train_y[nearest] == c).sum(1) for c in classes], axis=1)
    weight = np.stack([np.where(train_y[nearest] == c, np.take_along_axis(similarity, nearest, 1), 0).sum(1)
                       for c in classes], axis=1)
    predicted = classes[np.argmax(votes + weight / (2 * k + 1), axis=1)]  # |weight| <= k: votes decide first
    return 100.0 * float((predicted == test_y).mean())


def same_label_map(x: np.ndarray, y: Sequence[int]) -> float:
    """Mean average precision (%) of retrieving same-label items: every item queries all the others by cosine
    similarity, and the other items of its label are the relevant ones (trec_eval's MAP, as
    :func:`retrieval_metrics`).

    Args:
        x: (N, D) embeddings.
        y: N labels; every label needs at least two items.

    Returns:
        MAP in percent.
    """
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f'same_label_map: label {labels[counts.argmin()].item()!r} has a single item; nothing to '
                         'retrieve')
    similarity = _normalise(x) @ _normalise(x).T
    ids = [f'{i:06d}' for i in range(len(y))]
    run = {ids[i]: {ids[j]: float(similarity[i, j]) for j in range(len(y)) if j != i} for i in range(len(y))}
    qrels = {ids[i]: {ids[j]: int(y[j] == y[i]) for j in range(len(y)) if j != i} for i in range(len(y))}
    return 100.0 * retrieval_metrics(qrels, run, ndcg_at=(), recall_at=(), mrr_at=())['MAP']


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)
