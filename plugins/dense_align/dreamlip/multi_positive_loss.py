"""DreamLIP's multi-positive image -> sub-captions loss: a circle loss (Sun et al., 2020) in which every caption of
an image (short and sampled sub-captions) is a positive and every caption of another image a negative, on raw cosine
similarities (``ClipLoss.pairwise_circleloss``, ``I2mT_loss`` of zyf0619sjtu/DreamLIP ``open_clip/loss.py``).

One deliberate difference: a caption of another image whose text is identical to one of the image's own captions is
not counted as a negative (see :func:`multi_positive_loss`)."""
from typing import Optional

import torch
import torch.nn.functional as F

from align_core.distributed import rank_and_world_size
from align_core.uneven_gather import gather_uneven_with_grad

_MASKED = -99999999.0  # the released code's value for excluded entries


def circle_loss(similarity: torch.Tensor, is_pos: torch.Tensor, margin: float = 0.25, gamma: float = 32.0,
                is_neg: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Pair-wise circle loss per row, averaged over rows.

    ``alpha_p = [1 + m - s_p]_+`` and ``alpha_n = [s_n + m]_+`` (no gradient), ``logit_p = -gamma alpha_p (s_p -
    (1 - m))``, ``logit_n = gamma alpha_n (s_n - m)``; loss = ``softplus(logsumexp(logit_p) + logsumexp(logit_n))``.

    Args:
        similarity: (N, M) cosine similarities.
        is_pos: (N, M) 1 for positive pairs, 0 for negatives.
        margin: the relaxation margin m (DreamLIP: 0.25).
        gamma: the scale (DreamLIP: 32).
        is_neg: (N, M) 1 for negative pairs; None: every pair that is not positive (the released code). Pairs in
            neither set are left out.

    Returns:
        Scalar loss.
    """
    is_pos = is_pos.to(similarity.dtype)
    is_neg = 1.0 - is_pos if is_neg is None else is_neg.to(similarity.dtype)
    s_p, s_n = similarity * is_pos, similarity * is_neg
    alpha_p = torch.clamp_min(1 + margin - s_p.detach(), 0.0)
    alpha_n = torch.clamp_min(s_n.detach() + margin, 0.0)
    logit_p = -gamma * alpha_p * (s_p - (1 - margin)) + _MASKED * (1 - is_pos)
    logit_n = gamma * alpha_n * (s_n - margin) + _MASKED * (1 - is_neg)
    return F.softplus(torch.logsumexp(logit_p, dim=1) + torch.logsumexp(logit_n, dim=1)).mean()


def multi_positive_loss(image_embed: torch.Tensor, text_embed: torch.Tensor, margin: float = 0.25,
                        gamma: float = 32.0, divisor: float = 10.0, gather: bool = True,
                        text_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Image -> all captions circle loss, divided by ``divisor`` (the released code divides by 10).

    Under DDP each process scores its own images against the captions of every process (gathered with gradients).

    With ``text_ids``, a caption of another image whose text equals one of this image's captions is left out of the
    negatives (the released code counts it as one). Such a caption is then a positive and a negative of the same
    image at the same cosine s, so ``logsumexp(logit_p) + logsumexp(logit_n)`` stays above
    ``gamma * min_s [(s + m)(s - m) - (1 + m - s)(s - 1 + m)] = gamma * (1/2 - 2 m^2)`` (12 at m = 0.25, gamma = 32;
    at s = 0.5) whatever the model does, and its gradient pulls the image to cosine 0.5 with the shared text. (On the
    demo data, whose distractor sentences are shared by all images, skipping them did not change the outcome: see
    ``configs/dreamlip/README.md``.)

    Args:
        image_embed: (B, D) image embeddings.
        text_embed: (B, T, D) embeddings of each image's T captions (short caption first, then sub-captions).
        margin: circle-loss margin.
        gamma: circle-loss scale.
        divisor: the loss is divided by this.
        gather: use the other processes' captions as negatives.
        text_ids: (B, T) ids of the caption texts (equal ids = identical texts, e.g.
            :func:`dense_align.dreamlip.same_text.caption_ids`); None counts every caption of another image
            as a negative, as released.

    Returns:
        Scalar loss.
    """
    if text_embed.dim() != 3 or text_embed.shape[0] != image_embed.shape[0]:
        raise ValueError(f'multi_positive_loss: expected (B, D) images and (B, T, D) texts, got '
                         f'{tuple(image_embed.shape)} and {tuple(text_embed.shape)}')
    image_embed = F.normalize(image_embed, dim=-1)
    text_embed = F.normalize(text_embed, dim=-1)
    batch, num_text, dim = text_embed.shape
    _, world = rank_and_world_size() if gather else (0, 1)
    if text_ids is not None and tuple(text_ids.shape) != (batch, num_text):
        raise ValueError(f'multi_positive_loss: text_ids must be (B, T) = {(batch, num_text)}, got '
                         f'{tuple(text_ids.shape)}')
    if world > 1:
        all_text, offset = gather_uneven_with_grad(text_embed.reshape(batch, num_text * dim))
        all_text = all_text.view(-1, num_text, dim)
        all_ids = None if text_ids is None else gather_uneven_with_grad(text_ids)[0]
    else:
        all_text, offset, all_ids = text_embed, 0, text_ids
    owners = torch.arange(all_text.shape[0], device=image_embed.device).repeat_interleave(num_text)
    similarity = image_embed @ all_text.reshape(-1, dim).t()  # (B, N_all * T)
    is_pos = owners[None, :] == (torch.arange(batch, device=image_embed.device) + offset)[:, None]
    is_neg = None
    if text_ids is not None:  # (B, N_all * T): the caption's text is one of the image's own captions
        same_text = (text_ids[:, :, None] == all_ids.reshape(1, 1, -1)).any(dim=1)
        is_neg = ~is_pos & ~same_text
    return circle_loss(similarity, is_pos, margin, gamma, is_neg) / divisor
