"""Inverse-propensity weights for debiased contrastive sentence embeddings (DebCSE-style).

DebCSE (Miao et al., 2023) re-samples positives and negatives with inverse propensity weights built from surface
(lexical, length) and semantic similarity; its formula and code are not public. This module is our formulation:

- surface similarity of two sentences: the mean of their word-set Jaccard overlap and their length ratio;
- the propensity of a pair is how common its surface-similarity level is among the batch's pairs (a histogram over
  ``bins`` levels); a negative's weight is the inverse propensity, normalised to mean 1 per query, so negatives
  that merely share length or words with the query (the common case a model learns to exploit) count less than
  rare ones; weights are then bounded by ``max_weight`` (5 by default), as clipped inverse-propensity estimators
  are, because a pair alone in its bin would otherwise take up to ``B - 1`` (about 29 at batch 32) and dominate
  the query's loss: a clipped weight's excess goes back to the row's other negatives, so the mean stays 1;
- a negative that is semantically close to the query (cosine of the current embeddings above ``false_negative_at``)
  is probably a positive: its weight is multiplied by ``1 - sigmoid((cos - false_negative_at) / sharpness)``;
- an extra positive is re-sampled per query: the in-batch sentence with the highest semantic similarity times
  inverse surface propensity, when its cosine reaches ``positive_at`` (a lexically different paraphrase).
"""
from typing import Optional, Sequence, Tuple

import torch


def surface_similarity(texts: Sequence[str]) -> torch.Tensor:
    """(B, B) mean of word-set Jaccard overlap and length ratio (in words) of every pair of ``texts``."""
    words = [set(t.lower().split()) for t in texts]
    lengths = torch.tensor([max(1, len(t.split())) for t in texts], dtype=torch.float32)
    b = len(texts)
    jaccard = torch.zeros(b, b)
    for i in range(b):
        for j in range(b):
            union = words[i] | words[j]
            jaccard[i, j] = len(words[i] & words[j]) / len(union) if union else 1.0
    ratio = torch.minimum(lengths[:, None], lengths[None]) / torch.maximum(lengths[:, None], lengths[None])
    return (jaccard + ratio) / 2


def inverse_propensity(surface: torch.Tensor, bins: int = 10, max_weight: float = 5.0) -> torch.Tensor:
    """(B, B) inverse of the frequency of each off-diagonal pair's surface-similarity bin, normalised to mean 1
    per row and bounded by ``max_weight`` (a clipped weight's excess is spread over the row's other negatives in
    proportion to their weights, so every row keeps mean 1; diagonal 0).

    Args:
        surface: (B, B) surface similarities in [0, 1].
        bins: histogram levels.
        max_weight: largest weight of one negative, >= 1 (``inf``: no clipping).

    Returns:
        (B, B) weights in [0, max_weight].
    """
    if max_weight < 1:
        raise ValueError(f'inverse_propensity: max_weight must be >= 1 (the mean weight), got {max_weight}')
    b = surface.shape[0]
    off = ~torch.eye(b, dtype=torch.bool, device=surface.device)
    level = (surface.clamp(0, 1) * bins).long().clamp(max=bins - 1)
    counts = torch.bincount(level[off], minlength=bins).float()
    propensity = counts[level] / off.sum()
    weights = torch.where(off, 1.0 / propensity.clamp(min=1e-6), torch.zeros_like(propensity))
    weights = weights / weights.sum(dim=1, keepdim=True) * (b - 1)
    clipped = torch.zeros_like(off)
    for _ in range(b):  # clip at max_weight and give the cut mass back to the other negatives of the row
        over = off & ~clipped & (weights > max_weight)
        if not over.any():
            break
        clipped |= over
        free = off & ~clipped
        left = (b - 1) - max_weight * clipped.sum(dim=1, keepdim=True)
        free_sum = torch.where(free, weights, torch.zeros_like(weights)).sum(dim=1, keepdim=True)
        weights = torch.where(clipped, torch.full_like(weights, max_weight),
                              torch.where(free, weights * left / free_sum.clamp(min=1e-12), weights))
    return weights


def debias_weights(surface: torch.Tensor, semantic: torch.Tensor, bins: int = 10, false_negative_at: float = 0.9,
                   sharpness: float = 0.02, positive_at: float = 0.8,
                   max_weight: float = 5.0) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Negative weights and re-sampled extra positives of a batch.

    Args:
        surface: (B, B) surface similarity (see :func:`surface_similarity`).
        semantic: (B, B) cosine similarity of the current (detached) embeddings.
        bins: surface-similarity levels of the propensity histogram.
        false_negative_at: cosine above which a negative is likely a false negative.
        sharpness: width of that transition.
        positive_at: lowest cosine of a re-sampled positive.
        max_weight: clip of the inverse-propensity weights (see :func:`inverse_propensity`).

    Returns:
        ``(weights, extra)``: (B, B) weights of the negatives (0 on the diagonal), and (B,) the index of each
        query's re-sampled positive, -1 where none qualifies (None when no query has one).
    """
    b = surface.shape[0]
    ipw = inverse_propensity(surface, bins, max_weight)
    false_negative = torch.sigmoid((semantic - false_negative_at) / sharpness)
    weights = ipw * (1 - false_negative)
    score = torch.where(ipw > 0, semantic * ipw, torch.full_like(semantic, -float('inf')))
    best = score.argmax(dim=1)
    ok = semantic[torch.arange(b), best] >= positive_at
    extra = torch.where(ok, best, torch.full_like(best, -1))
    if ok.any():
        weights = weights.clone()
        weights[torch.arange(b)[ok], best[ok]] = 0.0  # a positive is not also a negative
    return weights, (extra if ok.any() else None)
