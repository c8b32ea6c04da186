"""Symmetric InfoNCE (CLIP loss) with in-batch negatives gathered across processes."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .distributed import gather_with_grad, rank_and_world_size


def symmetric_infonce(a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor,
                      gather: bool = True) -> torch.Tensor:
    """CLIP's loss: cross-entropy of matching a_i with b_i among all b, and b_i with a_i among all a, averaged.

    Features are L2-normalised here. Under DDP the negatives come from every process (gathered with gradients) and
    each process scores its own rows, as open_clip's ``local_loss=True, gather_with_grad=True``.

    Args:
        a: (B, D) features of one modality (e.g. images).
        b: (B, D) paired features of the other (e.g. captions).
        logit_scale: scalar multiplying the cosine similarities (the inverse temperature).
        gather: use the other processes' features as negatives.

    Returns:
        Scalar loss; ``log(B * world_size)`` when all features are identical.
    """
    if a.shape != b.shape:
        raise ValueError(f'symmetric_infonce: feature shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}')
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    rank, world = rank_and_world_size() if gather else (0, 1)
    all_a, all_b = (gather_with_grad(a), gather_with_grad(b)) if world > 1 else (a, b)
    labels = torch.arange(a.shape[0], device=a.device) + rank * a.shape[0]
    logits_ab = logit_scale * a @ all_b.t()
    logits_ba = logit_scale * b @ all_a.t()
    return (F.cross_entropy(logits_ab, labels) + F.cross_entropy(logits_ba, labels)) / 2


class LearnableTemperature(nn.Module):
    """CLIP's learnable inverse temperature, stored as a log (key ``logit_scale``) and clamped at ``max_scale``.

    Args:
        init_temperature: initial temperature (CLIP: 0.07).
        max_scale: upper bound of the scale (CLIP: 100).
        learnable: train it, or keep it fixed.
    """

    def __init__(self, init_temperature: float = 0.07, max_scale: float = 100.0, learnable: bool = True) -> None:
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / init_temperature)), requires_grad=learnable)
        self.max_log = math.log(max_scale)

    def forward(self) -> torch.Tensor:
        """Returns:
            The current scale ``exp(logit_scale)``, at most ``max_scale``.
        """
        return self.logit_scale.clamp(max=self.max_log).exp()
