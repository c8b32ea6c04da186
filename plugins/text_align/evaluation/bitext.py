"""Tatoeba-style bitext retrieval: for parallel sentence lists, the accuracy of the nearest neighbour (cosine) in
both directions."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def bitext_accuracy(source: np.ndarray, target: np.ndarray) -> Dict[str, float]:
    """Nearest-neighbour accuracy between row-aligned embeddings (row i of ``source`` translates row i of
    ``target``); ties go to the lowest index.

    Args:
        source: (n, D).
        target: (n, D).

    Returns:
        ``dict(src2tgt, tgt2src, mean)`` in percent.
    """
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f'bitext_accuracy: source and target must be (n, D) of one shape, got {source.shape} and '
                         f'{target.shape}')
    a = source / np.maximum(np.linalg.norm(source, axis=1, keepdims=True), 1e-12)
    b = target / np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-12)
    sim = a @ b.T
    rows = np.arange(len(a))
    forward = 100.0 * float(np.mean(sim.argmax(axis=1) == rows))
    backward = 100.0 * float(np.mean(sim.argmax(axis=0) == rows))
    return dict(src2tgt=forward, tgt2src=backward, mean=(forward + backward) / 2)


@METRICS.register_module()
class BitextRetrievalMetric(BaseMetric):
    """Reads ``side`` (``'src'``/``'tgt'``), ``pair`` (the line index) and ``embedding`` of each predicted row;
    reports :func:`bitext_accuracy`.

    Args:
        collect_device: mmengine's collection device.
        prefix: metric-name prefix.
    """

    default_prefix = 'bitext'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for row in data_samples:
            self.results.append((row['side'], int(row['pair']), np.asarray(row['embedding'], dtype=np.float64)))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        sides = {side: dict((p, e) for s, p, e in results if s == side) for side in ('src', 'tgt')}
        if not sides['src'] or set(sides['src']) != set(sides['tgt']):
            raise ValueError(f'BitextRetrievalMetric: the src and tgt rows must name the same pairs; got '
                             f'{len(sides["src"])} src and {len(sides["tgt"])} tgt')
        pairs = sorted(sides['src'])
        return bitext_accuracy(np.stack([sides['src'][p] for p in pairs]), np.stack([sides['tgt'][p] for p in pairs]))
