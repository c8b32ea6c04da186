"""CLIP's pre-norm transformer block, with optional layer scale and drop-path."""
from typing import Optional

import torch
from mmcv.cnn.bricks import DropPath
from torch import nn

from .attention import SelfAttention
from .mlp import clip_mlp, clip_mlp_fast


class LayerScale(nn.Module):
    """Per-channel learnable scale (key ``gamma``, as open_clip's ``ls_1``/``ls_2``).

    Args:
        dim: number of channels.
        init_value: initial scale.
    """

    def __init__(self, dim: int, init_value: float) -> None:
        super().__init__()
        self.gamma = nn.Parameter(init_value * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class ResidualAttentionBlock(nn.Module):
    """``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``; keys match OpenAI / open_clip ``resblocks.N``.

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / ``dim``.
        act: MLP activation, ``'quick_gelu'`` or ``'gelu'``.
        drop_path: stochastic-depth rate of both residual branches.
        ls_init_value: layer-scale initial value; None disables layer scale.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, act: str = 'quick_gelu',
                 drop_path: float = 0.0, ls_init_value: Optional[float] = None) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, num_heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = clip_mlp(dim, int(dim * mlp_ratio), act)
        self.ls_1 = LayerScale(dim, ls_init_value) if ls_init_value is not None else nn.Identity()
        self.ls_2 = LayerScale(dim, ls_init_value) if ls_init_value is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.fast_inference = False  # fused linear layers and MLP in eval mode without autograd (CLIPViT's fast path)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False) -> torch.Tensor:
        """Args:
            x: tokens (B, N, C).
            attn_mask: optional attention mask, see :class:`SelfAttention`.
            is_causal: causal attention (text transformer).

        Returns:
            Tokens (B, N, C).
        """
        if self.fast_inference and not self.training and not torch.is_grad_enabled():
            x = x + self.ls_1(self.attn(self.ln_1(x), attn_mask=attn_mask, is_causal=is_causal, fast=True))
            return x + self.ls_2(clip_mlp_fast(self.mlp, self.ln_2(x)))
        x = x + self.drop_path(self.ls_1(self.attn(self.ln_1(x), attn_mask=attn_mask, is_causal=is_causal)))
        return x + self.drop_path(self.ls_2(self.mlp(self.ln_2(x))))
