"""DreamLIP's multi-positive image -> sub-captions loss: a circle loss (Sun et al., 2020) in which every caption of
an image (short and sampled sub-captions) is a positive and every caption of another image a negative, on raw cosine
similarities (``ClipLoss.pairwise_circleloss``, ``I2mT_loss`` of zyf0619sjtu/DreamLIP ``open_clip/loss.py``)."""
import torch
import torch.nn.functional as F

from align_core.distributed import rank_and_world_size
from align_core.uneven_gather import gather_uneven_with_grad

_MASKED = -99999999.0  # the released code's value for excluded entries


def circle_loss(similarity: torch.Tensor, is_pos: torch.Tensor, margin: float = 0.25,
                gamma: float = 32.0) -> torch.Tensor:
    """Pair-wise circle loss per row, averaged over rows.

    ``alpha_p = [1 + m - s_p]_+`` and ``alpha_n = [s_n + m]_+`` (no gradient), ``logit_p = -gamma alpha_p (s_p -
    (1 - m))``, ``logit_n = gamma alpha_n (s_n - m)``; loss = ``softplus(logsumexp(logit_p) + logsumexp(logit_n))``.

    Args:
        similarity: (N, M) cosine similarities.
        is_pos: (N, M) 1 for positive pairs, 0 for negatives.
        margin: the relaxation margin m (DreamLIP: 0.25).
        gamma: the scale (DreamLIP: 32).

    Returns:
        Scalar loss.
    """
    is_pos = is_pos.to(similarity.dtype)
    is_neg = 1.0 - is_pos
    s_p, s_n = similarity * is_pos, similarity * is_neg
    alpha_p = torch.clamp_min(1 + margin - s_p.detach(), 0.0)
    alpha_n = torch.clamp_min(s_n.detach() + margin, 0.0)
    logit_p = -gamma * alpha_p * (s_p - (1 - margin)) + _MASKED * (1 - is_pos)
    logit_n = gamma * alpha_n * (s_n - margin) + _MASKED * (1 - is_neg)
    return F.softplus(torch.logsumexp(logit_p, dim=1) + torch.logsumexp(logit_n, dim=1)).mean()


def multi_positive_loss(image_embed: torch.Tensor, text_embed: torch.Tensor, margin: float = 0.25,
                        gamma: float = 32.0, divisor: float = 10.0, gather: bool = True) -> torch.Tensor:
    """Image -> all captions circle loss, divided by ``divisor`` (the released code divides by 10).

    Under DDP each process scores its own images against the captions of every process (gathered with gradients).

    Args:
        image_embed: (B, D) image embeddings.
        text_embed: (B, T, D) embeddings of each image's T captions (short caption first, then sub-captions).
        margin: circle-loss margin.
        gamma: circle-loss scale.
        divisor: the loss is divided by this.
        gather: use the other processes' captions as negatives.

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
    if world > 1:
        all_text, offset = gather_uneven_with_grad(text_embed.reshape(batch, num_text * dim))
        all_text = all_text.view(-1, num_text, dim)
    else:
        all_text, offset = text_embed, 0
    owners = torch.arange(all_text.shape[0], device=image_embed.device).repeat_interleave(num_text)
    similarity = image_embed @ all_text.reshape(-1, dim).t()  # (B, N_all * T)
    is_pos = owners[None, :] == (torch.arange(batch, device=image_embed.device) + offset)[:, None]
    return circle_loss(similarity, is_pos, margin, gamma) / divisor
