"""Captions with identical text in one batch: ids to find them, and an InfoNCE that does not count such a caption
(or the embedding paired with it) as a negative of its twin. Template or repeated captions (the demo's shared
distractor sentences, web alt-texts such as "image") otherwise ask the loss to tell apart identical inputs."""
import torch
import torch.nn.functional as F

from align_core.distributed import rank_and_world_size
from align_core.uneven_gather import gather_uneven_with_grad

_HASH_PRIME = 2**31 - 1
_MASKED = -1e4  # a logit that softmax turns into 0 in float32 next to unit-cosine logits times a scale <= 100


def caption_ids(tokens: torch.Tensor) -> torch.Tensor:
    """Integer ids of token rows: equal rows get equal ids, different rows different ids (two random linear hashes
    modulo 2^31 - 1, exact in int64; a collision has probability about 2^-62).

    Args:
        tokens: (..., L) token ids (non-negative, below 2^16).

    Returns:
        (...) int64 ids, the same on every process (fixed hash coefficients).
    """
    coeffs = torch.randint(1, _HASH_PRIME, (2, tokens.shape[-1]), generator=torch.Generator().manual_seed(0))
    tokens = tokens.long()
    coeffs = coeffs.to(tokens.device)
    first = (tokens * coeffs[0]).sum(-1) % _HASH_PRIME
    second = (tokens * coeffs[1]).sum(-1) % _HASH_PRIME
    return first * _HASH_PRIME + second


def same_text_infonce(a: torch.Tensor, b: torch.Tensor, ids: torch.Tensor, logit_scale: torch.Tensor,
                      gather: bool = True) -> torch.Tensor:
    """Symmetric InfoNCE of paired rows (as :func:`align_core.contrastive.symmetric_infonce`) in which row j is no
    negative of row i when their texts are identical (``ids[i] == ids[j]``): its logit is masked in both directions.

    Args:
        a: (N, D) features (e.g. grouped patch embeddings).
        b: (N, D) paired features (the captions).
        ids: (N, ) caption text ids (:func:`caption_ids`).
        logit_scale: the scale of the cosine similarities.
        gather: negatives from every process under DDP (gathered with gradients).

    Returns:
        Scalar loss; equal to ``symmetric_infonce`` when all ids differ.
    """
    if a.shape != b.shape or ids.shape != a.shape[:1]:
        raise ValueError(f'same_text_infonce: expected (N, D), (N, D), (N, ) inputs, got {tuple(a.shape)}, '
                         f'{tuple(b.shape)}, {tuple(ids.shape)}')
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    _, world = rank_and_world_size() if gather else (0, 1)
    if world > 1:
        all_a, offset = gather_uneven_with_grad(a)
        all_b, _ = gather_uneven_with_grad(b)
        all_ids, _ = gather_uneven_with_grad(ids)
    else:
        all_a, all_b, all_ids, offset = a, b, ids, 0
    if a.shape[0] == 0:
        return (all_a.sum() + all_b.sum()) * 0.0
    labels = torch.arange(a.shape[0], device=a.device) + offset
    twin = ids[:, None] == all_ids[None, :]
    twin[torch.arange(a.shape[0], device=a.device), labels] = False
    logits_ab = (logit_scale * a @ all_b.t()).masked_fill(twin, _MASKED)
    logits_ba = (logit_scale * b @ all_a.t()).masked_fill(twin, _MASKED)
    loss = (F.cross_entropy(logits_ab, labels) + F.cross_entropy(logits_ba, labels)) / 2
    return loss * (world * a.shape[0] / all_a.shape[0])
