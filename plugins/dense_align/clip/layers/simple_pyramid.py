"""ViTDet-style simple feature pyramid: one single-stride ViT map resampled to strides 4, 8, 16, 32."""
import math
from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import nn


class SimpleFeaturePyramid(nn.Module):
    """Resample ViT block outputs (all at the patch stride) to the given strides.

    Each level starts with ``GroupNorm(1, C)`` (``level_norm``, as DenseCLIP's ``fpn1..4``), then upsamples with 2x
    transposed convolutions (norm + GELU between two of them), keeps the map, or downsamples with max pooling; a patch
    size that is not a power of two (14) is finished by bilinear resizing. For patch 16 and strides 4/8/16/32:
    GN -> deconv -> norm -> GELU -> deconv, GN -> deconv, GN, GN -> max-pool.

    Args:
        channels: ViT width (input and output channels of every level).
        patch_size: the ViT's patch size (stride of its maps).
        strides: output strides, one per level.
        norm_cfg: norm between two transposed convolutions (DenseCLIP used SyncBN; BN works on a CPU).
        level_norm: start every level with ``GroupNorm(1, C)`` (DenseCLIP); False leaves the block outputs as they
            are before resampling.
    """

    def __init__(self, channels: int, patch_size: int, strides: Sequence[int] = (4, 8, 16, 32),
                 norm_cfg: dict = dict(type='BN'), level_norm: bool = True) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.strides = tuple(strides)
        self.levels = nn.ModuleList()
        for stride in self.strides:
            scale = patch_size / stride
            ops: List[nn.Module] = [nn.GroupNorm(1, channels)] if level_norm else []
            if scale >= 2:
                for i in range(int(math.floor(math.log2(scale)))):
                    if i:
                        ops += [build_norm_layer(norm_cfg, channels)[1], nn.GELU()]
                    ops.append(nn.ConvTranspose2d(channels, channels, 2, stride=2))
            elif scale <= 0.5:
                ops.append(nn.MaxPool2d(int(round(1 / scale))))
            self.levels.append(nn.Sequential(*ops))

    def forward(self, maps: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Args:
            maps: one (B, C, h, w) map per level, at the patch stride.

        Returns:
            One map per level at its stride (size ``round(h * patch_size / stride)``).
        """
        outs = []
        for stride, level, x in zip(self.strides, self.levels, maps):
            h, w = x.shape[-2:]
            y = level(x)
            target = (round(h * self.patch_size / stride), round(w * self.patch_size / stride))
            if tuple(y.shape[-2:]) != target:
                y = F.interpolate(y, size=target, mode='bilinear', align_corners=False)
            outs.append(y)
        return outs
