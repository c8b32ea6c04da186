"""Symmetric InfoNCE (CLIP loss) with in-batch negatives gathered across processes, and CLIP's learnable
temperature."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .distributed import rank_and_world_size
from .uneven_gather import gather_uneven_with_grad


def symmetric_infonce(a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor,
                      gather: bool = True) -> torch.Tensor:
    """CLIP's loss: cross-entropy of matching a_i with b_i among all b, and b_i with a_i among all a, averaged.

    Features are L2-normalised here. Under DDP the negatives come from every process (gathered with gradients) and
    each process scores its own rows, as open_clip's ``local_loss=True, gather_with_grad=True``. Processes may hold
    different numbers of rows (a last, smaller batch): the row counts are exchanged first, so each row's label is
    its true index among all gathered rows, and each process's loss is weighted by ``world * B_r / sum(B)``, so
    that DDP's average of the gradients is the gradient of the mean loss over all rows (weight 1 when all
    processes hold the same number).

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
    _, world = rank_and_world_size() if gather else (0, 1)
    if world > 1:
        all_a, offset = gather_uneven_with_grad(a)
        all_b, _ = gather_uneven_with_grad(b)
    else:
        all_a, all_b, offset = a, b, 0
    if a.shape[0] == 0:  # this process had no rows: it still took part in the gather; it adds nothing
        return (all_a.sum() + all_b.sum()) * 0.0
    labels = torch.arange(a.shape[0], device=a.device) + offset
    logits_ab = logit_scale * a @ all_b.t()
    logits_ba = logit_scale * b @ all_a.t()
    loss = (F.cross_entropy(logits_ab, labels) + F.cross_entropy(logits_ba, labels)) / 2
    return loss * (world * a.shape[0] / all_a.shape[0])


class LearnableTemperature(nn.Module):
    """CLIP's learnable inverse temperature, stored as a log (key ``logit_scale``).

    As in open_clip, the forward is a plain ``exp`` (its gradient never vanishes, so a scale at the cap can still
    come down); the bound is kept by :meth:`clamp_`, which :class:`align_core.logit_scale_hook.ClampLogitScaleHook`
    calls after every optimizer step (open_clip clamps to ``[0, ln 100]`` after ``optimizer.step()``).

    Args:
        init_temperature: initial temperature (CLIP: 0.07); the initial scale is clamped to ``max_scale``.
        max_scale: upper bound of the scale (CLIP: 100).
        learnable: train it, or keep it fixed.
    """

    def __init__(self, init_temperature: float = 0.07, max_scale: float = 100.0, learnable: bool = True) -> None:
        super().__init__()
        if init_temperature <= 0 or max_scale < 1:
            raise ValueError(f'LearnableTemperature: init_temperature must be > 0 and max_scale >= 1, got '
                             f'{init_temperature}, {max_scale}')
        self.max_log = math.log(max_scale)
        self.logit_scale = nn.Parameter(torch.tensor(min(math.log(1 / init_temperature), self.max_log)),
                                        requires_grad=learnable)

    def forward(self) -> torch.Tensor:
        """Returns:
            The current scale ``exp(logit_scale)``.
        """
        return self.logit_scale.exp()

    @torch.no_grad()
    def clamp_(self) -> None:
        """Clamp ``logit_scale`` in place to ``[0, ln max_scale]`` (scale in ``[1, max_scale]``)."""
        self.logit_scale.clamp_(0, self.max_log)
