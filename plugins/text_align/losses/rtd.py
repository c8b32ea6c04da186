"""Replaced-token detection (ELECTRA, Clark et al. 2020), the pieces as google-research/electra computes them
(``pretrain/pretrain_helpers.py``, ``run_pretraining.py``): dynamic masking, sampling the generator at the masked
positions, the discriminator's labels and its sigmoid cross-entropy."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F


def electra_mask(input_ids: torch.Tensor, attention_mask: torch.Tensor, excluded_ids: Sequence[int],
                 mask_token_id: int, probability: float = 0.15, mask_token_fraction: float = 0.85,
                 generator: Optional[torch.Generator] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """ELECTRA's masking: per sequence, ``max(1, round(probability x real tokens))`` positions among the candidates
    (real tokens that are not ``excluded_ids``, e.g. [CLS], [SEP], [MASK], [PAD]) are chosen uniformly; of those,
    ``mask_token_fraction`` become ``mask_token_id`` and the rest keep their token (still predicted).

    ELECTRA draws the positions with replacement (duplicates collapse); we draw them without replacement, so
    exactly that many positions are masked whenever there are enough candidates.

    Args:
        input_ids: (B, L).
        attention_mask: (B, L), 1 on real tokens.
        excluded_ids: token ids that are never masked.
        mask_token_id: the [MASK] id.
        probability: share of the real tokens to predict (ELECTRA: 0.15).
        mask_token_fraction: share of the chosen positions replaced by [MASK] (ELECTRA: 0.85).
        generator: torch random generator (None: the global one).

    Returns:
        ``(masked input_ids, chosen)``: chosen is a (B, L) bool mask of the predicted positions.
    """
    real = attention_mask.bool()
    candidates = real.clone()
    for token in excluded_ids:
        candidates &= input_ids != token
    count = (real.sum(1).float() * probability).round().clamp(min=1).long()
    scores = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    scores = scores.masked_fill(~candidates, -1.0)
    order = scores.argsort(dim=1, descending=True)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(order.shape[1], device=order.device)
                                            .expand_as(order).contiguous())
    chosen = candidates & (rank < count[:, None])
    to_mask = chosen & (torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
                        < mask_token_fraction)
    return input_ids.masked_fill(to_mask, mask_token_id), chosen


def sample_replacements(input_ids: torch.Tensor, chosen: torch.Tensor, logits: torch.Tensor,
                        temperature: float = 1.0) -> Tuple[torch.Tensor, torch.Tensor]:
    """The discriminator's input: the original tokens with a generator sample at each chosen position (no gradient
    flows through the sample), and its labels: 1 where the token now differs from the original (a sample that
    happens to equal the original token is labelled 0, as in ELECTRA).

    Args:
        input_ids: (B, L) original (unmasked) tokens.
        chosen: (B, L) bool, the masked positions.
        logits: (M, V) generator logits of the M chosen positions, in ``chosen``'s row-major order.
        temperature: sampling temperature (ELECTRA: 1).

    Returns:
        ``(corrupted input_ids, labels)``: labels (B, L) float.
    """
    if logits.shape[0] != int(chosen.sum()):
        raise ValueError(f'sample_replacements: {logits.shape[0]} rows of logits for {int(chosen.sum())} masked '
                         'positions')
    with torch.no_grad():  # inverse-CDF draw from the softmax (exact, and cheaper than multinomial on a big vocab)
        cdf = F.softmax(logits.float() / temperature, dim=-1).cumsum(-1)
        uniform = torch.rand(cdf.shape[0], 1, device=cdf.device) * cdf[:, -1:]
        sampled = torch.searchsorted(cdf, uniform, right=True).squeeze(-1).clamp(max=cdf.shape[1] - 1)
    corrupted = input_ids.clone()
    corrupted[chosen] = sampled.to(input_ids.dtype)
    return corrupted, (corrupted != input_ids).float()


def discriminator_loss(logits: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """ELECTRA's discriminator loss: sigmoid cross-entropy per token, averaged over the real tokens of the batch
    (``sum(losses x mask) / sum(mask)``; special tokens included, padding excluded).

    Args:
        logits: (B, L) replaced-token logits.
        labels: (B, L) 1 = replaced.
        attention_mask: (B, L).

    Returns:
        Scalar loss.
    """
    weights = attention_mask.to(logits.dtype)
    losses = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), reduction='none')
    return (losses * weights).sum() / (weights.sum() + 1e-6)
