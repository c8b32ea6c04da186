"""DebCSE-style debiased SimCSE: inverse-propensity weighted negatives and re-sampled positives (see
:mod:`text_align.losses.debias_weights` for our formulation; the paper's formula is not public)."""
import logging
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log

from align_core.distributed import rank_and_world_size
from ..losses.debias_weights import debias_weights, surface_similarity
from ..registry import MODELS
from .simcse import SimCSE


def weighted_infonce(queries: torch.Tensor, positives: torch.Tensor, weights: torch.Tensor, scale: torch.Tensor,
                     extra: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``-log(sum_pos e^s / (sum_pos e^s + sum_neg w e^s))`` with s = scale * cos(query, candidate).

    Args:
        queries: (B, D) first views.
        positives: (B, D) second views; candidate j of query i is ``positives[j]``.
        weights: (B, B) negative weights (0 on the diagonal and on re-sampled positives).
        scale: inverse temperature.
        extra: (B,) index of an additional positive per query, -1 for none.

    Returns:
        Scalar loss; with all weights 1 off the diagonal and no extra positive it is SimCSE's InfoNCE.
    """
    logits = scale * F.normalize(queries, dim=-1) @ F.normalize(positives, dim=-1).t()
    b = logits.shape[0]
    positive_mask = torch.eye(b, dtype=torch.bool, device=logits.device)
    if extra is not None:
        rows = (extra >= 0).nonzero(as_tuple=True)[0]
        positive_mask[rows, extra[rows]] = True
    log_pos = torch.logsumexp(logits.masked_fill(~positive_mask, -float('inf')), dim=1)
    log_neg = torch.logsumexp(logits + torch.log(weights.clamp(min=1e-12)).masked_fill(weights <= 0, -float('inf')),
                              dim=1)
    return (torch.logaddexp(log_pos, log_neg) - log_pos).mean()


@MODELS.register_module()
class DebCSE(SimCSE):
    """Unsupervised SimCSE with debiased sampling: each negative is weighted by its inverse surface-similarity
    propensity (clipped) and down-weighted when it is semantically a likely positive; a semantically close,
    lexically rare in-batch sentence is added as a second positive.

    Under DDP the weighted loss uses this process's batch only: unlike ``InBatchInfoNCELoss``, it does not gather
    the other processes' sentences as negatives (their texts would be needed for the surface similarities), so the
    effective batch of negatives is the per-process batch (a warning says so once).

    Args:
        debias: :func:`debias_weights` settings (``bins``, ``false_negative_at``, ``sharpness``, ``positive_at``,
            ``max_weight``).
        **kwargs: :class:`SimCSE` arguments.
    """

    def __init__(self, debias: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.debias = dict(debias or {})
        self._texts = None
        self._warned_local = False

    def _remember_texts(self, data_samples) -> None:
        self._texts = [str(s.get('text', '')) for s in data_samples] if data_samples else None

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """As :meth:`SimCSE.forward`; the rows' texts feed the surface similarities."""
        self._remember_texts(data_samples)
        return super().forward(inputs, data_samples, mode)

    def train_step(self, data: dict, optim_wrapper) -> Dict[str, torch.Tensor]:
        """As :meth:`SimCSE.train_step` (GradCache included), with the batch's texts remembered."""
        self._remember_texts(data.get('data_samples'))
        return super().train_step(data, optim_wrapper)

    def contrastive_loss(self, embeddings: Dict[str, torch.Tensor],
                         groups: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Weighted InfoNCE of the two dropout views (the rows' texts are required); supervised layouts (or
        ``groups``) fall back to SimCSE's loss."""
        if set(embeddings) != {'query', 'positive'} or groups is not None:
            return super().contrastive_loss(embeddings, groups)
        queries, positives = embeddings['query'], embeddings['positive']
        if self._texts is None or len(self._texts) != queries.shape[0]:
            found = 'none' if self._texts is None else len(self._texts)
            raise ValueError(f'DebCSE: the debiased loss needs the text of each of the {queries.shape[0]} rows '
                             f'(data_samples with a "text" field), got {found}')
        if not self._warned_local and rank_and_world_size()[1] > 1:
            self._warned_local = True
            print_log('DebCSE: under DDP the debiased loss uses each process\'s own batch as negatives (no gather)',
                      logger='current', level=logging.WARNING)
        with torch.no_grad():
            unit = F.normalize(queries.detach(), dim=-1)
            surface = surface_similarity(self._texts).to(queries.device)
            weights, extra = debias_weights(surface, unit @ unit.t(), **self.debias)
        loss = weighted_infonce(queries, positives, weights, self.criterion.scale(), extra)
        if not torch.isfinite(loss):
            raise FloatingPointError(f'DebCSE: the contrastive loss is {loss.item()}')
        return loss
