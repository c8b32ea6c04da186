"""Sentence pooling of token states: the CLS token, the mean over the attention mask, or the last real token."""
import torch

POOLING_MODES = ('cls', 'mean', 'last')


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str) -> torch.Tensor:
    """Args:
        hidden: (B, L, H) token states.
        attention_mask: (B, L), 1 for real tokens (left or right padding).
        mode: ``'cls'`` (first position), ``'mean'`` (over real tokens), ``'last'`` (last real token).

    Returns:
        (B, H) sentence vectors.
    """
    if mode == 'cls':
        return hidden[:, 0]
    mask = attention_mask.to(hidden.dtype)
    if mode == 'mean':
        return (hidden * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1e-9)
    if mode == 'last':
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        last = (attention_mask.long() * (positions + 1)).argmax(dim=1)  # the last position holding a 1
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    raise ValueError(f'unknown pooling {mode!r}; expected one of {POOLING_MODES}')
