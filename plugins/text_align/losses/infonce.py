"""InfoNCE with in-batch negatives for text embeddings: several positives per query, hard negatives, a fixed or
learned temperature, and candidates gathered from every process under DDP."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from align_core.distributed import rank_and_world_size
from align_core.uneven_gather import gather_row_counts, gather_uneven_with_grad
from ..registry import MODELS


@MODELS.register_module()
class InBatchInfoNCELoss(nn.Module):
    """``-log(sum_pos exp(s / t) / sum_all exp(s / t))`` with s the cosine (or dot product) between a query and every
    candidate: all positives and hard negatives of the batch (of all processes).

    With one positive per query and temperature 0.05 this is sentence-transformers' MultipleNegativesRankingLoss
    (scale 20) and SimCSE's loss.

    Optional ``groups`` (one integer per row, e.g. the document a sentence comes from, or a class label): a candidate
    of another row in the query's group is left out of that query's softmax (it is neither a positive nor a
    negative), so sentences of the same document, or of the same class, are not pushed apart. Without ``groups`` the
    loss is unchanged.

    Args:
        temperature: initial temperature.
        learn_temperature: train it (stored as ``log_scale``, clamped to a scale of at most 100).
        similarity: ``'cos'`` or ``'dot'``.
        symmetric: also score each positive against all queries (positive -> query direction) and average.
        gather: use the other processes' candidates as negatives. Processes may hold different numbers of rows
            (a last, smaller batch): each row's positives are found at their true place among the gathered
            candidates, and each process's loss is weighted by ``world * B_r / sum(B)``, so that DDP's average of
            the gradients is the gradient of the mean loss over all rows (weight 1 for equal batches).
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
                hard_negatives: Optional[torch.Tensor] = None, groups: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            queries: (B, D).
            positives: (B, D), or (B, P, D) for P positives per query.
            hard_negatives: optional (B, H, D), candidates for every query.
            groups: optional (B,) integer group of each row; other rows' candidates of the query's group are masked
                out of its softmax (see the class docstring).

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
        _, world = rank_and_world_size() if self.gather else (0, 1)
        candidates = positives.flatten(0, 1)
        if hard_negatives is not None:
            candidates = torch.cat([candidates, hard_negatives.flatten(0, 1)])
        counts, start = [b], 0
        if world > 1:  # per rank: its B_r*P positives then its negatives
            counts = gather_row_counts(b, queries.device)
            candidates, start = gather_uneven_with_grad(candidates)
        logits = self.scale() * queries @ candidates.t()
        rows = torch.arange(b, device=queries.device)
        cols = start + rows[:, None] * p + torch.arange(p, device=queries.device)[None]
        same_group = None
        if groups is not None:
            h = 0 if hard_negatives is None else hard_negatives.shape[1]
            same_group = self._same_group(groups, counts, p, h, queries.device, world > 1)
            logits = logits.masked_fill(same_group[0], float('-inf'))
        if self.symmetric:
            all_queries, query_start = gather_uneven_with_grad(queries) if world > 1 else (queries, 0)
        if b == 0:  # this process had no rows: it took part in the gathers and adds nothing
            return logits.sum() * 0.0 + candidates.sum() * 0.0
        positive_logits = logits.gather(1, cols)
        loss = (torch.logsumexp(logits, dim=1) - torch.logsumexp(positive_logits, dim=1)).mean()
        if self.symmetric:
            back = self.scale() * positives[:, 0] @ all_queries.t()
            if same_group is not None:
                back = back.masked_fill(same_group[1], float('-inf'))
            loss = (loss + F.cross_entropy(back, rows + query_start)) / 2
        return loss * (world * b / sum(counts))

    @staticmethod
    def _same_group(groups: torch.Tensor, counts: list, p: int, h: int, device: torch.device,
                    distributed: bool) -> tuple:
        """Masks of the candidates to leave out: (B, candidates) for the queries and (B, queries of all processes)
        for the symmetric direction; True where the other row is in the same group (a row's own candidates stay).
        ``counts``: the row count of every process (rank order), this process's included."""
        rank, _ = rank_and_world_size() if distributed else (0, 1)
        b = counts[rank]
        groups = torch.as_tensor(groups, device=device)
        if groups.dtype.is_floating_point or groups.dtype == torch.bool or groups.shape != (b, ):
            raise ValueError(f'InBatchInfoNCELoss: groups must be {b} integers (one per row), got '
                             f'{groups.dtype} of shape {tuple(groups.shape)}')
        groups = groups.long()
        all_groups = gather_uneven_with_grad(groups)[0] if distributed else groups
        row_of_candidate = []  # the global row (query index) each gathered candidate belongs to
        for r, count in enumerate(counts):
            local = torch.arange(count, device=device) + sum(counts[:r])
            row_of_candidate += [local.repeat_interleave(p), local.repeat_interleave(h)]
        row_of_candidate = torch.cat(row_of_candidate)
        own_row = (sum(counts[:rank]) + torch.arange(b, device=device))[:, None]
        query_groups = groups[:, None]
        to_candidates = (all_groups[row_of_candidate][None] == query_groups) & (row_of_candidate[None] != own_row)
        all_rows = torch.arange(sum(counts), device=device)
        to_queries = (all_groups[None] == query_groups) & (all_rows[None] != own_row)
        return to_candidates, to_queries
