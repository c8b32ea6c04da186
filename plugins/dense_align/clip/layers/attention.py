"""Multi-head self-attention with ``nn.MultiheadAttention``'s parameter names, on PyTorch's fused SDPA kernel."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .fused_linear import fused_linear


class SelfAttention(nn.Module):
    """Self-attention whose state dict matches ``nn.MultiheadAttention`` (``in_proj_weight``, ``in_proj_bias``,
    ``out_proj``), so OpenAI / open_clip transformer weights load without renaming.

    Args:
        dim: token width.
        num_heads: number of heads; must divide ``dim``.
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'SelfAttention: dim {dim} is not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False,
                fast: bool = False) -> torch.Tensor:
        """Attend every token of ``x`` to all (or, with ``is_causal``, the preceding) tokens.

        Args:
            x: tokens (B, N, C).
            attn_mask: optional additive float mask (N, N) or boolean mask where True means "may attend".
            is_causal: use a causal mask (CLIP's text transformer).
            fast: projections through :func:`fused_linear` (inference fast path; same result within rounding).

        Returns:
            Tokens (B, N, C).
        """
        b, n, c = x.shape
        linear = fused_linear if fast else F.linear
        q, k, v = linear(x, self.in_proj_weight, self.in_proj_bias).view(b, n, 3, self.num_heads, -1).permute(
            2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal and attn_mask is None)
        return linear(out.transpose(1, 2).reshape(b, n, c), self.out_proj.weight, self.out_proj.bias)
