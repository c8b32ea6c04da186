"""Linear-probe metric: the held-out split is every n-th image per class and the accuracy is that of an
independently fitted scikit-learn logistic regression; separable classes give 100."""
import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from dense_align.mofi.linear_probe import LinearProbeAccuracy, linear_probe_accuracy


def test_linear_probe_split_and_accuracy():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 6)
    feats = rng.normal(size=(4, 8))[labels] + 1.2 * rng.normal(size=(24, 8))
    test = np.tile(np.arange(6) % 3 == 2, 4)  # test_every=3: the 3rd and 6th image of each class
    normed = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    want = 100 * (LogisticRegression(max_iter=1000).fit(normed[~test], labels[~test]).predict(normed[test])
                  == labels[test]).mean()
    assert linear_probe_accuracy(feats, labels, test_every=3) == pytest.approx(want)
    metric = LinearProbeAccuracy(test_every=2)
    separable = np.eye(4)[labels] * 5 + 0.01 * rng.normal(size=(24, 4))
    metric.process({}, [dict(image_embed=torch.tensor(f), gt_label=int(c)) for f, c in zip(separable, labels)])
    assert metric.evaluate(24) == {'linear_probe/top1': 100.0}
