"""X-CLIP's video-specific prompt generator: class text embeddings attend to the video's visual tokens."""
import torch
import torch.nn.functional as F
from torch import nn

from ..clip.layers import build_activation, trunc_normal_linears


class CrossAttention(nn.Module):
    """Multi-head cross-attention with bias-free ``q_proj``/``k_proj``/``v_proj`` and an output ``proj``.

    Args:
        dim: width.
        num_heads: heads.
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, queries: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Args:
            queries: (B, K, C).
            context: (B, N, C) keys and values.

        Returns:
            (B, K, C).
        """
        def heads(x: torch.Tensor) -> torch.Tensor:
            return x.view(x.shape[0], x.shape[1], self.num_heads, -1).transpose(1, 2)

        out = F.scaled_dot_product_attention(heads(self.q_proj(queries)), heads(self.k_proj(context)),
                                             heads(self.v_proj(context)))
        return self.proj(out.transpose(1, 2).flatten(2))


class PromptGeneratorLayer(nn.Module):
    """``x + cross_attn(norm1(x), visual)`` then ``x + mlp(norm3(x))`` (the original key names)."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.cross_attn = CrossAttention(dim, num_heads)
        self.norm1 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), build_activation('quick_gelu'), nn.Dropout(dropout),
                                 nn.Linear(4 * dim, dim))

    def forward(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        text = text + self.cross_attn(self.norm1(text), visual)
        return text + self.mlp(self.norm3(text))


class VideoSpecificPrompt(nn.Module):
    """``alpha * decoder(text, norm(visual))``: a per-video offset added to each class text embedding.

    Args:
        dim: joint-space width.
        layers: decoder layers (paper 2).
        alpha: initial per-channel scale (paper 0.1); 0 turns the prompts off.
        heads: attention heads; default ``dim // 64``.
    """

    def __init__(self, dim: int, layers: int = 2, alpha: float = 0.1, heads: int = 0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.decoder = nn.ModuleList(PromptGeneratorLayer(dim, heads or max(1, dim // 64)) for _ in range(layers))
        self.alpha = nn.Parameter(torch.full((dim,), float(alpha)))
        trunc_normal_linears(self)

    def forward(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        """Args:
            text: (B, K, D) class embeddings per video.
            visual: (B, N, D) frame-averaged visual tokens.

        Returns:
            (B, K, D) offsets to add to ``text``.
        """
        visual = self.norm(visual)
        for layer in self.decoder:
            text = layer(text, visual)
        return self.alpha * text
