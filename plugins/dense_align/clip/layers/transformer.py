"""A stack of CLIP residual attention blocks (key ``resblocks.N``), with drop-path and activation checkpointing."""
from typing import Optional

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .residual_block import ResidualAttentionBlock


class Transformer(nn.Module):
    """CLIP's transformer trunk.

    Args:
        width: token width.
        layers: number of blocks.
        heads: attention heads per block.
        mlp_ratio: MLP hidden width / ``width``.
        act: MLP activation, ``'quick_gelu'`` or ``'gelu'``.
        drop_path_rate: stochastic depth of the last block; it grows linearly from 0 over the blocks.
        ls_init_value: layer-scale initial value, None for none.
        with_cp: recompute each block in the backward pass to save memory (training only).
    """

    def __init__(self, width: int, layers: int, heads: int, mlp_ratio: float = 4.0, act: str = 'quick_gelu',
                 drop_path_rate: float = 0.0, ls_init_value: Optional[float] = None, with_cp: bool = False) -> None:
        super().__init__()
        self.width = width
        self.with_cp = with_cp
        rates = torch.linspace(0, drop_path_rate, layers).tolist() if layers > 1 else [drop_path_rate] * layers
        self.resblocks = nn.ModuleList(
            ResidualAttentionBlock(width, heads, mlp_ratio, act, rate, ls_init_value) for rate in rates)

    def run_block(self, index: int, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                  is_causal: bool = False) -> torch.Tensor:
        """Run block ``index``, checkpointed when ``with_cp`` is on and gradients are needed.

        Args:
            index: block index.
            x: tokens (B, N, C).
            attn_mask: optional attention mask.
            is_causal: causal attention.

        Returns:
            Tokens (B, N, C).
        """
        block = self.resblocks[index]
        if self.with_cp and self.training and torch.is_grad_enabled():
            return checkpoint(block, x, attn_mask, is_causal, use_reentrant=False)
        return block(x, attn_mask=attn_mask, is_causal=is_causal)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False) -> torch.Tensor:
        """Run all blocks.

        Args:
            x: tokens (B, N, C).
            attn_mask: optional attention mask.
            is_causal: causal attention.

        Returns:
            Tokens (B, N, C).
        """
        for index in range(len(self.resblocks)):
            x = self.run_block(index, x, attn_mask, is_causal)
        return x
