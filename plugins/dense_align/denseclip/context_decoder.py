"""DenseCLIP's context decoder: text queries attend to the visual context (global + dense tokens)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from ..clip.layers import trunc_normal_linears
from ..registration import register_model


class _Attention(nn.Module):
    """Multi-head attention with separate bias-free q/k/v projections (queries and memory may differ); dropout is
    applied to the output projection, not to the attention probabilities (as DenseCLIP's ``proj_drop``)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
        b, n, c = q.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, t.shape[1], self.heads, -1).transpose(1, 2)

        out = F.scaled_dot_product_attention(split(self.q_proj(q)), split(self.k_proj(kv)), split(self.v_proj(kv)))
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, c)))


class _DecoderLayer(nn.Module):
    """x += Drop(SelfAttn(LN x)); x += Drop(CrossAttn(LN x, memory)); x += Drop(MLP(LN x)), the MLP having its own
    dropout after the activation (DenseCLIP's ``TransformerDecoderLayer``)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.self_attn = _Attention(dim, heads, dropout)
        self.cross_attn = _Attention(dim, heads, dropout)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim * 4, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self.self_attn(y, y)
        x = x + self.cross_attn(self.norm2(x), memory)
        return x + self.dropout(self.mlp(self.norm3(x)))


@register_model()
class ContextDecoder(BaseModule):
    """Transformer decoder whose queries (class text embeddings, or prompt context vectors) attend to visual tokens.

    Memory: LN -> Linear(memory_dim -> width) -> LN; queries: LN -> Linear(query_dim -> width); ``layers`` decoder
    layers; output: LN -> Linear(width -> query_dim). The caller adds the output to the queries with a learnable
    scale (DenseCLIP: ``gamma`` initialised to 1e-4).

    Args:
        query_dim: width of the queries and of the output (text embedding width for post-model prompting).
        memory_dim: width of the visual tokens; default ``query_dim``.
        width: internal width (paper: 256).
        heads: attention heads (paper: 4).
        layers: decoder layers (DenseCLIP configs: 3).
        dropout: dropout after each attention output projection, inside the MLP and after it (paper: 0.1).
        init_cfg: mmengine init config.
    """

    def __init__(self, query_dim: int = 1024, memory_dim: Optional[int] = None, width: int = 256, heads: int = 4,
                 layers: int = 3, dropout: float = 0.1, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        memory_dim = memory_dim or query_dim
        self.memory_proj = nn.Sequential(nn.LayerNorm(memory_dim), nn.Linear(memory_dim, width), nn.LayerNorm(width))
        self.query_proj = nn.Sequential(nn.LayerNorm(query_dim), nn.Linear(query_dim, width))
        self.decoder = nn.ModuleList(_DecoderLayer(width, heads, dropout) for _ in range(layers))
        self.out_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, query_dim))
        trunc_normal_linears(self)

    def forward(self, queries: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Args:
            queries: (B, N, query_dim).
            memory: (B, M, memory_dim) visual tokens.

        Returns:
            (B, N, query_dim) update for the queries.
        """
        memory = self.memory_proj(memory)
        x = self.query_proj(queries)
        for layer in self.decoder:
            x = layer(x, memory)
        return self.out_proj(x)
