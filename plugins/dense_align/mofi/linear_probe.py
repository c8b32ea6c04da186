"""Linear-probe accuracy of image embeddings as an mmengine metric: a logistic regression fitted on part of the
evaluated images and scored on the rest (for small evaluation sets and demos; a full linear probe trains on a
separate training split)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def linear_probe_accuracy(features: np.ndarray, labels: np.ndarray, test_every: int = 2, c: float = 1.0) -> float:
    """Top-1 (%) of a multinomial logistic regression (scikit-learn, L-BFGS) on L2-normalised features.

    Args:
        features: (N, D) embeddings.
        labels: (N,) classes.
        test_every: every ``test_every``-th image of each class (in order) is held out for testing, the rest fit.
        c: inverse L2 regularisation strength.

    Returns:
        Accuracy on the held-out images in %.
    """
    from sklearn.linear_model import LogisticRegression
    features = features / np.linalg.norm(features, axis=1, keepdims=True).clip(1e-12)
    test = np.zeros(len(labels), bool)
    for c_id in np.unique(labels):
        idx = np.flatnonzero(labels == c_id)
        test[idx[test_every - 1::test_every]] = True
    if test.all() or not test.any() or len(np.unique(labels[~test])) < 2:
        raise ValueError('linear_probe_accuracy: need at least two classes with training images and some test '
                         'images; evaluate on more images or change test_every')
    model = LogisticRegression(C=c, max_iter=1000).fit(features[~test], labels[~test])
    return 100.0 * float((model.predict(features[test]) == labels[test]).mean())


@METRICS.register_module()
class LinearProbeAccuracy(BaseMetric):
    """Linear-probe top-1 of the model's ``image_embed`` against ``gt_label`` (samples with label < 0 left out).

    Args:
        test_every: every n-th image of each class is a test image, the others train the probe.
        c: inverse regularisation strength of the logistic regression.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric-name prefix.
    """
    default_prefix = 'linear_probe'

    def __init__(self, test_every: int = 2, c: float = 1.0, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.test_every, self.c = test_every, c

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each labelled prediction's embedding and label."""
        for sample in data_samples:
            if int(sample.get('gt_label', -1)) >= 0:
                self.results.append((sample['image_embed'].float().cpu(), int(sample['gt_label'])))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Returns:
            ``{'top1': ...}`` in %.
        """
        feats = torch.stack([f for f, _ in results]).numpy()
        labels = np.array([label for _, label in results])
        return {'top1': linear_probe_accuracy(feats, labels, self.test_every, self.c)}
