"""The released DITO pyramid (google-research fvlm ``modeling/fpn.py`` ``SimpleFpnV2``, the ViTDet simple feature
pyramid): one input map resampled per level, each level through 1x1 conv + LN and 3x3 conv + LN; no top-down path."""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from ..registration import register_model
from .channel_norm import ChannelLayerNorm


class _Level(nn.Module):
    """One output level: resampling by ``2 ** (in_level - level)``, then the two conv + LayerNorm pairs."""

    def __init__(self, diff: int, in_channels: int, out_channels: int, eps: float) -> None:
        super().__init__()
        self.diff = diff
        if diff >= 1:
            self.deconv1 = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2, bias=False)
        if diff == 2:
            self.deconv_norm = ChannelLayerNorm(in_channels // 2, eps)
            self.deconv2 = nn.ConvTranspose2d(in_channels // 2, in_channels // 4, 2, stride=2, bias=False)
        width = in_channels // 2 ** max(diff, 0)
        self.lateral = nn.Conv2d(width, out_channels, 1, bias=False)
        self.lateral_norm = ChannelLayerNorm(out_channels, eps)
        self.output = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.output_norm = ChannelLayerNorm(out_channels, eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.diff >= 1:
            x = self.deconv1(x)
        if self.diff == 2:
            x = self.deconv2(F.gelu(self.deconv_norm(x)))  # exact GELU, as released
        if self.diff < 0:
            x = F.max_pool2d(x, 2, 2)  # one 2x2 pool for both coarser levels
        x = self.output_norm(self.output(self.lateral_norm(self.lateral(x))))
        if self.diff == -2:
            x = x[:, :, ::2, ::2]  # ViTDet's top block: max-pool with a 1x1 window, stride 2
        return x


@register_model(into=('mmdet', ))
class DITOSimpleFPN(BaseModule):
    """``SimpleFpnV2`` of the released DITO detector (levels ``min_level..max_level`` from one map at ``in_level``).

    Per level with ``d = in_level - level``: d = 2: deconv 2x2/2 to C/2, LN, GELU, deconv 2x2/2 to C/4; d = 1:
    deconv 2x2/2 to C/2; d = 0: the map; d < 0: max-pool 2x2/2. Then 1x1 conv, LN, 3x3 conv, LN (no biases), and
    for d = -2 a stride-2 subsampling. Released gin: levels 2..5 from the ViT's level-4 map (``ln_post`` output).

    Args:
        in_channels: width of the input map (the ViT width).
        out_channels: pyramid width (released 256).
        in_level: level of the input map (log2 of its stride; ViT-*/16: 4).
        min_level: finest output level.
        max_level: coarsest output level.
        eps: LayerNorm epsilon (Flax default 1e-6).
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, out_channels: int = 256, in_level: int = 4, min_level: int = 2,
                 max_level: int = 5, eps: float = 1e-6, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not min_level <= in_level <= max_level or max(in_level - min_level, max_level - in_level) > 2:
            raise ValueError(f'DITOSimpleFPN: levels {min_level}..{max_level} must contain in_level {in_level} and '
                             f'lie within 2 of it')
        self.levels = nn.ModuleList(_Level(in_level - level, in_channels, out_channels, eps)
                                    for level in range(min_level, max_level + 1))
        self.strides = tuple(2**level for level in range(min_level, max_level + 1))

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Args:
            inputs: backbone outputs; the last one is the (N, C, H, W) map at ``in_level``.

        Returns:
            One (N, out_channels, h, w) map per level, finest first.
        """
        x = inputs[-1]
        # contiguous NCHW: the LayerNorms permute and level 5 is strided, and mmcv's roi_align reads the storage as
        # contiguous NCHW whatever the strides (wrong RoI features otherwise)
        outs: List[torch.Tensor] = [level(x).contiguous() for level in self.levels]
        return tuple(outs)
