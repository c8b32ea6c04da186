"""Resizing of 2-D positional embeddings stored at the pre-training grid."""
from typing import Tuple

import torch
import torch.nn.functional as F


def resize_pos_embed(pos_embed: torch.Tensor, num_extra: int, src_hw: Tuple[int, int], dst_hw: Tuple[int, int],
                     mode: str = 'bicubic') -> torch.Tensor:
    """Resize the spatial part of a positional embedding, keeping the leading extra tokens (class/mean token).

    Args:
        pos_embed: (num_extra + H*W, C) embedding at grid ``src_hw``.
        num_extra: number of leading non-spatial tokens.
        src_hw: stored grid (H, W).
        dst_hw: wanted grid (H', W').
        mode: interpolation mode for ``F.interpolate``.

    Returns:
        (num_extra + H'*W', C); the input itself when the grids are equal.
    """
    src_hw, dst_hw = tuple(src_hw), tuple(dst_hw)
    if src_hw == dst_hw:
        return pos_embed
    extra, grid = pos_embed[:num_extra], pos_embed[num_extra:]
    if grid.shape[0] != src_hw[0] * src_hw[1]:
        raise ValueError(f'positional embedding has {grid.shape[0]} spatial rows, expected {src_hw[0]}x{src_hw[1]}')
    channels = grid.shape[1]
    grid = grid.reshape(1, src_hw[0], src_hw[1], channels).permute(0, 3, 1, 2)
    grid = F.interpolate(grid.float(), size=dst_hw, mode=mode, align_corners=False).to(pos_embed.dtype)
    return torch.cat([extra, grid.permute(0, 2, 3, 1).reshape(-1, channels)], dim=0)
