"""X-CLIP's multi-frame integration transformer: temporal self-attention over the frame embeddings, then a mean."""
import torch
from torch import nn

from ..clip.layers import ResidualAttentionBlock, trunc_normal_linears


class MultiFrameIntegration(nn.Module):
    """``mean_T(blocks(x + pos) + x)`` (keys ``positional_embedding``, ``resblocks.N``, as the original ``mit``).

    Args:
        num_frames: T; the temporal embedding has T positions, so a checkpoint is tied to it.
        dim: embedding width (the joint space, 512 for B/32 and B/16).
        layers: blocks (1 in the released models).
        heads: attention heads; default ``dim // 64``.
    """

    def __init__(self, num_frames: int, dim: int, layers: int = 1, heads: int = 0) -> None:
        super().__init__()
        self.num_frames = num_frames
        self.positional_embedding = nn.Parameter(torch.empty(1, num_frames, dim))
        self.resblocks = nn.ModuleList(ResidualAttentionBlock(dim, heads or max(1, dim // 64)) for _ in range(layers))
        nn.init.trunc_normal_(self.positional_embedding, std=0.02)
        trunc_normal_linears(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: (B, T, D) frame embeddings.

        Returns:
            (B, D) video embeddings.
        """
        if x.shape[1] != self.num_frames:
            raise ValueError(f'MultiFrameIntegration: got {x.shape[1]} frames, built for {self.num_frames}')
        out = x + self.positional_embedding.to(x.dtype)
        for block in self.resblocks:
            out = block(out)
        return (out + x).mean(dim=1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        key = prefix + 'positional_embedding'
        if key in state_dict and state_dict[key].shape[1] != self.num_frames:
            raise ValueError(f'checkpoint key {key!r} holds a temporal embedding for {state_dict[key].shape[1]} '
                             f'frames, but this model samples {self.num_frames}: set num_frames='
                             f'{state_dict[key].shape[1]} or train a model for {self.num_frames} frames')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
