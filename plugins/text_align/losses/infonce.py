"""InfoNCE with in-batch negatives for text embeddings: several positives per query, hard negatives, a fixed or
learned temperature, and candidates gathered from every process under DDP."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from align_core.distributed import gather_with_grad, rank_and_world_size
from ..registry import MODELS


@MODELS.register_module()
class InBatchInfoNCELoss(nn.Module):
    """``-log(sum_pos exp(s / t) / sum_all exp(s / t))`` with s the cosine (or dot product) between a query and every
    candidate: all positives and hard negatives of the batch (of all processes).

    With one positive per query and temperature 0.05 this is sentence-transformers' MultipleNegativesRankingLoss
    (scale 20) and SimCSE's loss.

    Args:
        temperature: initial temperature.
        learn_temperature: train it (stored as ``log_scale``, clamped to a scale of at most 100).
        similarity: ``'cos'`` or ``'dot'``.
        symmetric: also score each positive against all queries (positive -> query direction) and average.
        gather: use the other processes' candidates as negatives.
    """

    def __init__(self, temperature: float = 0.05, learn_temperature: bool = False, similarity: str = 'cos',
                 symmetric: bool = False, gather: bool = True) -> None:
        super().__init__()
        if similarity not in ('cos', 'dot'):
            raise ValueError(f"InBatchInfoNCELoss: similarity must be 'cos' or 'dot', got {similarity!r}")
        if temperature <= 0:
            raise ValueError(f'InBatchInfoNCELoss: temperature must be positive, got {temperature}')
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)), requires_grad=learn_temperature)
        self.similarity, self.symmetric, self.gather = similarity, symmetric, gather

    def scale(self) -> torch.Tensor:
        """The inverse temperature."""
        return self.log_scale.clamp(max=math.log(100.0)).exp()

    def forward(self, queries: torch.Tensor, positives: torch.Tensor,
                hard_negatives: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            queries: (B, D).
            positives: (B, D), or (B, P, D) for P positives per query.
            hard_negatives: optional (B, H, D), candidates for every query.

        Returns:
            Scalar loss.
        """
        if positives.dim() == 2:
            positives = positives.unsqueeze(1)
        b, p, _ = positives.shape
        if queries.shape[0] != b:
            raise ValueError(f'InBatchInfoNCELoss: {queries.shape[0]} queries but {b} positive groups')
        if self.similarity == 'cos':
            queries, positives = F.normalize(queries, dim=-1), F.normalize(positives, dim=-1)
            if hard_negatives is not None:
                hard_negatives = F.normalize(hard_negatives, dim=-1)
        rank, world = rank_and_world_size() if self.gather else (0, 1)
        candidates = positives.flatten(0, 1)
        if hard_negatives is not None:
            candidates = torch.cat([candidates, hard_negatives.flatten(0, 1)])
        if world > 1:
            candidates = gather_with_grad(candidates)  # per rank: its B*P positives then its negatives
        per_rank = candidates.shape[0] // world
        logits = self.scale() * queries @ candidates.t()
        rows = torch.arange(b, device=queries.device)
        cols = rank * per_rank + rows[:, None] * p + torch.arange(p, device=queries.device)[None]
        positive_logits = logits.gather(1, cols)
        loss = (torch.logsumexp(logits, dim=1) - torch.logsumexp(positive_logits, dim=1)).mean()
        if self.symmetric:
            all_queries = gather_with_grad(queries) if world > 1 else queries
            back = self.scale() * positives[:, 0] @ all_queries.t()
            loss = (loss + F.cross_entropy(back, rows + rank * b)) / 2
        return loss
