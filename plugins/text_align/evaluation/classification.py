"""Classification by logistic regression on frozen embeddings (SentEval / MTEB style)."""
from typing import Dict, Sequence

import numpy as np


def linear_probe_accuracy(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray, test_y: Sequence[int],
                          max_iter: int = 1000, seed: int = 0) -> Dict[str, float]:
    """Fit a logistic regression on the training embeddings and score the test embeddings.

    Args:
        train_x: (N, D) training embeddings.
        train_y: N labels.
        test_x: (M, D) test embeddings.
        test_y: M labels.
        max_iter: solver iterations.
        seed: random state.

    Returns:
        ``{'accuracy': %, 'f1_macro': %}``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    if len(set(train_y)) < 2:
        raise ValueError('linear_probe_accuracy: the training labels hold fewer than 2 classes')
    classifier = LogisticRegression(max_iter=max_iter, random_state=seed).fit(train_x, list(train_y))
    predicted = classifier.predict(test_x)
    return dict(accuracy=100 * accuracy_score(test_y, predicted),
                f1_macro=100 * f1_score(test_y, predicted, average='macro'))
