"""Top-k and mean class accuracy of video recognition (Kinetics, HMDB-51, UCF-101 protocols)."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor, ks: Sequence[int] = (1, 5)) -> Dict[str, float]:
    """Args:
        scores: (N, K) class scores.
        labels: (N,) true classes.
        ks: cut-offs (those above K are skipped).

    Returns:
        ``{'top1': %, 'top5': %, 'mean_class_accuracy': %}``; the last averages top-1 over the classes present.
    """
    out = {}
    for k in ks:
        if k <= scores.shape[1]:
            top = scores.topk(k, dim=1).indices
            out[f'top{k}'] = 100.0 * (top == labels[:, None]).any(dim=1).float().mean().item()
    correct = (scores.argmax(dim=1) == labels).float()
    per_class = [correct[labels == c].mean() for c in labels.unique()]
    out['mean_class_accuracy'] = 100.0 * torch.stack(per_class).mean().item()
    return out


@METRICS.register_module()
class VideoAccuracy(BaseMetric):
    """Reads ``pred_score`` and ``gt_label`` of each predicted data sample.

    Args:
        topk: cut-offs.
        collect_device: mmengine's collection device.
        prefix: metric-name prefix.
    """

    default_prefix = 'video'

    def __init__(self, topk: Sequence[int] = (1, 5), collect_device: str = 'cpu', prefix: str = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        for sample in data_samples:
            get = sample.get if isinstance(sample, dict) else (lambda k: getattr(sample, k))
            self.results.append((get('pred_score').cpu().float(), int(get('gt_label'))))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        scores = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        return topk_accuracy(scores, labels, self.topk)
