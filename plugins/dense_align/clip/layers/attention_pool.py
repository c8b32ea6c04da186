"""CLIP's attention pooling applied to every position: a global embedding and a dense embedding map."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .fused_linear import fused_linear
from .pos_embed import resize_pos_embed


class DenseAttentionPool2d(nn.Module):
    """OpenAI CLIP's ``AttentionPool2d`` (same keys: ``positional_embedding``, ``q_proj``, ``k_proj``, ``v_proj``,
    ``c_proj``) that can also return its output for every spatial position, as DenseCLIP uses it.

    The token sequence is [mean token, HxW tokens]; the global embedding is the mean token's output, so it is the same
    whether the dense map is computed or not.

    Args:
        grid: side of the positional-embedding grid stored at pre-training size (input size // 32).
        embed_dim: input channels (ResNet C5 width).
        num_heads: attention heads.
        output_dim: output channels (the joint image-text space).
        interpolation: mode used to resize the positional embedding to other grids.
        crop: take the top-left ``H x W`` of the stored grid instead of resizing it (DenseCLIP's detectors, with
            a grid as large as the largest input, 42 for 1344 pixels); a larger input is an error.
    """

    def __init__(self, grid: int, embed_dim: int, num_heads: int, output_dim: Optional[int] = None,
                 interpolation: str = 'bicubic', crop: bool = False) -> None:
        super().__init__()
        self.grid = grid
        self.num_heads = num_heads
        self.interpolation = interpolation
        self.crop = crop
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, embed_dim) / embed_dim**0.5)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim or embed_dim)
        self.output_dim = output_dim or embed_dim

    def clip_init(self) -> None:
        """CLIP's initialisation of the projections: normal with std ``embed_dim ** -0.5``."""
        std = self.c_proj.in_features**-0.5
        for proj in (self.q_proj, self.k_proj, self.v_proj, self.c_proj):
            nn.init.normal_(proj.weight, std=std)

    def positions(self, h: int, w: int) -> torch.Tensor:
        """The positional embedding for an ``h x w`` map: (1 + h*w, C), mean-token row first, resized or cropped."""
        if not self.crop:
            return resize_pos_embed(self.positional_embedding, 1, (self.grid, self.grid), (h, w), self.interpolation)
        if h > self.grid or w > self.grid:
            raise ValueError(f'DenseAttentionPool2d(crop=True): a {h}x{w} map is larger than the {self.grid}x'
                             f'{self.grid} positional grid (CLIPResNet: grid = arch image_size // 32)')
        grid = self.positional_embedding[1:].view(self.grid, self.grid, -1)[:h, :w]
        return torch.cat([self.positional_embedding[:1], grid.reshape(h * w, -1)], dim=0)

    def forward(self, x: torch.Tensor, dense: bool = True) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Pool a feature map.

        Args:
            x: (B, C, H, W) feature map (C5).
            dense: also return the per-position embeddings.

        Returns:
            ``(global (B, D), dense (B, D, H, W) or None)``.
        """
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # B, HW, C
        tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)
        tokens = tokens + self.positions(h, w).to(tokens.dtype)
        queries = tokens if dense else tokens[:, :1]
        heads = self.num_heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, t.shape[1], heads, -1).transpose(1, 2)

        def project(layer: nn.Linear, t: torch.Tensor) -> torch.Tensor:  # oneDNN's GEMM without autograd on a CPU
            return fused_linear(t, layer.weight, layer.bias)

        out = F.scaled_dot_product_attention(
            split(project(self.q_proj, queries)), split(project(self.k_proj, tokens)),
            split(project(self.v_proj, tokens)))
        out = project(self.c_proj, out.transpose(1, 2).reshape(b, queries.shape[1], c))
        global_embed = out[:, 0]
        if not dense:
            return global_embed, None
        return global_embed, out[:, 1:].transpose(1, 2).reshape(b, -1, h, w)
