"""X-CLIP's cross-frame communication transformer: a CLIP ViT whose blocks exchange one message token per frame."""
from typing import Tuple

import torch
from mmcv.cnn.bricks import DropPath
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..clip import CLIPViT
from ..clip.layers import ResidualAttentionBlock, SelfAttention
from ..registry import MODELS


class CrossFrameBlock(ResidualAttentionBlock):
    """A CLIP block plus X-CLIP's message path (keys ``message_fc``, ``message_ln``, ``message_attn``).

    Each frame's class token is mapped to a message; the T messages of one video attend to each other; each frame
    then attends over its tokens plus its own message, which is dropped again before the MLP.

    Args:
        dim: token width.
        num_heads: attention heads (block and message attention).
        drop_path: stochastic depth of the residual branches and the message attention.
    """

    def __init__(self, dim: int, num_heads: int, drop_path: float = 0.0) -> None:
        super().__init__(dim, num_heads, drop_path=drop_path)
        self.message_fc = nn.Linear(dim, dim)
        self.message_ln = nn.LayerNorm(dim)
        self.message_attn = SelfAttention(dim, num_heads)
        self.message_drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:  # type: ignore[override]
        """Args:
            x: tokens (B*T, L, C), video-major (the T frames of a video are consecutive).
            num_frames: T.

        Returns:
            Tokens (B*T, L, C).
        """
        bt, length, c = x.shape
        message = self.message_fc(x[:, 0]).view(bt // num_frames, num_frames, c)
        message = message + self.message_drop_path(self.message_attn(self.message_ln(message)))
        x = torch.cat([x, message.reshape(bt, 1, c)], dim=1)
        x = (x + self.drop_path(self.attn(self.ln_1(x))))[:, :length]
        return x + self.drop_path(self.mlp(self.ln_2(x)))


@MODELS.register_module()
class CrossFrameViT(CLIPViT):
    """CLIP ViT with :class:`CrossFrameBlock` blocks; OpenAI/open_clip/HF CLIP weights load with no renaming (the
    message modules are the only missing keys) through ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    Args:
        arch: CLIP ViT size (see :data:`dense_align.clip.vit.CLIP_VIT_ARCHS`) or a dict.
        drop_path_rate: stochastic depth of the last block (linear from 0).
        with_cp: activation checkpointing of every block during training.
        **kwargs: passed to :class:`CLIPViT` (``init_cfg``, ``pos_interpolation``, ...).
    """

    def __init__(self, arch='ViT-B/32', drop_path_rate: float = 0.0, with_cp: bool = False, **kwargs) -> None:
        super().__init__(arch, drop_path_rate=drop_path_rate, with_cp=with_cp, **kwargs)
        layers, width, heads = self.arch['layers'], self.arch['width'], self.arch['heads']
        rates = torch.linspace(0, drop_path_rate, layers).tolist() if layers > 1 else [drop_path_rate]
        self.transformer.resblocks = nn.ModuleList(CrossFrameBlock(width, heads, rate) for rate in rates)
        self.output_dim = self.arch['output_dim']

    def forward_video(self, frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            frames: (B, T, 3, H, W) CLIP-normalised frames.

        Returns:
            ``(frame_embeds, patch_tokens)``: (B, T, D) class tokens through ``ln_post`` and ``proj``, and (B, T, N,
            width) patch tokens of the last block (no ``ln_post``), as X-CLIP's prompt generator reads them.
        """
        b, t = frames.shape[:2]
        tokens = self._embed(self.conv1(frames.flatten(0, 1)).permute(0, 2, 3, 1))
        for block in self.transformer.resblocks:
            if self.transformer.with_cp and self.training and torch.is_grad_enabled():
                tokens = checkpoint(block, tokens, t, use_reentrant=False)
            else:
                tokens = block(tokens, t)
        frame_embeds = self.ln_post(tokens[:, 0]) @ self.proj
        return frame_embeds.view(b, t, -1), tokens[:, 1:].reshape(b, t, tokens.shape[1] - 1, -1)
