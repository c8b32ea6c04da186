"""DreamLIP's sub-caption specific grouping loss: each caption pools the image patches it matches into a grouped
visual embedding, contrasted with the caption (``use_finegrained_loss`` of zyf0619sjtu/DreamLIP
``open_clip/loss.py``)."""
from typing import Optional

import torch
import torch.nn.functional as F

from align_core.contrastive import symmetric_infonce
from .same_text import same_text_infonce

_EPS = 1e-10  # the released min-max denominator guard


def grouping_weights(similarity: torch.Tensor, norm: str = 'minmax', delta: float = 0.0) -> torch.Tensor:
    """Patch weights of each caption from its text x patch similarities.

    Normalise over patches (min-max to [0, 1], or softmax), zero the weights below ``delta`` (``delta < 0``: below
    ``1 / num_patches``), renormalise to sum to one.

    Args:
        similarity: (B, T, P) cosine similarities of T captions with P patches.
        norm: ``'minmax'`` or ``'softmax'``.
        delta: the threshold (DreamLIP's ``sgl_delta``, default 0).

    Returns:
        (B, T, P) weights, each row summing to one.
    """
    if norm == 'minmax':
        low = similarity.min(dim=-1, keepdim=True).values
        high = similarity.max(dim=-1, keepdim=True).values
        weights = (similarity - low) / (high - low + _EPS)
    elif norm == 'softmax':
        weights = similarity.softmax(dim=-1)
    else:
        raise ValueError(f"grouping_weights: norm must be 'minmax' or 'softmax', got {norm!r}")
    threshold = 1.0 / similarity.shape[-1] if delta < 0 else delta
    weights = torch.where(weights < threshold, torch.zeros_like(weights), weights)
    total = weights.sum(dim=-1, keepdim=True)
    if (total == 0).any():
        raise ValueError(f'grouping_weights: delta={delta} zeroes every patch of some caption (with min-max the '
                         f'best patch has weight 1, so delta must be <= 1)')
    return weights / total


def grouped_patch_embeddings(text_embed: torch.Tensor, patch_embed: torch.Tensor, norm: str = 'minmax',
                             delta: float = 0.0) -> torch.Tensor:
    """Per caption, the weighted sum of the image's patches (normalised).

    Args:
        text_embed: (B, T, D) caption embeddings.
        patch_embed: (B, P, D) patch (dense) embeddings of the same images.
        norm: see :func:`grouping_weights`.
        delta: see :func:`grouping_weights`.

    Returns:
        (B, T, D) unit-norm grouped visual embeddings.
    """
    text_embed = F.normalize(text_embed, dim=-1)
    patch_embed = F.normalize(patch_embed, dim=-1)
    similarity = torch.einsum('btd,bpd->btp', text_embed, patch_embed)
    weights = grouping_weights(similarity, norm, delta)
    return F.normalize(torch.einsum('btp,bpd->btd', weights, patch_embed), dim=-1)


def grouping_loss(text_embed: torch.Tensor, patch_embed: torch.Tensor, logit_scale: torch.Tensor,
                  norm: str = 'minmax', delta: float = 0.0, gather: bool = True,
                  text_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Symmetric InfoNCE between every caption and its grouped visual embedding, over all B x T pairs of the batch
    (of every process under DDP), with its own logit scale.

    Args:
        text_embed: (B, T, D) caption embeddings (short caption and sub-captions).
        patch_embed: (B, P, D) patch embeddings.
        logit_scale: the local logit scale (DreamLIP's ``logit_scale_local``).
        norm: see :func:`grouping_weights`.
        delta: see :func:`grouping_weights`.
        gather: use the other processes' pairs as negatives.
        text_ids: (B, T) caption text ids (:func:`caption_ids`): a pair whose caption has the same text as the
            anchor's is then no negative of it (:func:`same_text_infonce`); None: every other pair is one, as
            released.

    Returns:
        Scalar loss.
    """
    grouped = grouped_patch_embeddings(text_embed, patch_embed, norm, delta)
    dim = text_embed.shape[-1]
    if text_ids is not None:
        if tuple(text_ids.shape) != tuple(text_embed.shape[:2]):
            raise ValueError(f'grouping_loss: text_ids must be (B, T) = {tuple(text_embed.shape[:2])}, got '
                             f'{tuple(text_ids.shape)}')
        return same_text_infonce(grouped.reshape(-1, dim), text_embed.reshape(-1, dim), text_ids.reshape(-1),
                                 logit_scale, gather=gather)
    return symmetric_infonce(grouped.reshape(-1, dim), text_embed.reshape(-1, dim), logit_scale, gather=gather)
