"""Non-overlapping window partition / merge of a token grid, for windowed attention."""
from typing import Tuple

import torch
import torch.nn.functional as F


def window_partition(x: torch.Tensor, window: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Split a token grid into windows, zero-padding the bottom/right edge to a multiple of ``window``.

    Args:
        x: tokens (B, H, W, C).
        window: window side in tokens.

    Returns:
        ``(windows (B * nH * nW, window * window, C), padded (Hp, Wp))``.
    """
    b, h, w, c = x.shape
    pad_h, pad_w = (-h) % window, (-w) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window, window, wp // window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, window * window, c), (hp, wp)


def window_merge(windows: torch.Tensor, window: int, padded: Tuple[int, int], size: Tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`: reassemble the grid and drop the padding.

    Args:
        windows: (B * nH * nW, window * window, C).
        window: window side in tokens.
        padded: the padded grid (Hp, Wp) returned by :func:`window_partition`.
        size: the original grid (H, W).

    Returns:
        Tokens (B, H, W, C).
    """
    hp, wp = padded
    c = windows.shape[-1]
    b = windows.shape[0] // ((hp // window) * (wp // window))
    x = windows.view(b, hp // window, wp // window, window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, hp, wp, c)[:, :size[0], :size[1]]


def window_padding_mask(size: Tuple[int, int], window: int, batch: int, device: torch.device) -> torch.Tensor:
    """Boolean key mask of padded windows: True where a token is real (may be attended to).

    Args:
        size: the original grid (H, W).
        window: window side in tokens.
        batch: batch size B.
        device: device of the mask.

    Returns:
        (B * nH * nW, 1, 1, window * window) mask, broadcastable over heads and queries.
    """
    real = torch.ones(1, size[0], size[1], 1, device=device)
    windows, _ = window_partition(real, window)
    return (windows[..., 0] > 0).repeat(batch, 1)[:, None, None, :]
