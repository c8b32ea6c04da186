"""The anti-aliased bottleneck of CLIP's modified ResNet (stride applied by an average pool)."""
from collections import OrderedDict

import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from .conv_bn import conv_bn, conv_bn_act


class AntiAliasBottleneck(nn.Module):
    """1x1 -> 3x3 -> (avg-pool for stride) -> 1x1 bottleneck; keys match OpenAI CLIP (``downsample.-1/0/1``).

    Args:
        inplanes: input channels.
        planes: bottleneck width; the output has ``planes * 4`` channels.
        stride: spatial stride, applied by average pooling.
        norm_cfg: mmcv norm config (``BN``, ``SyncBN``, ...).
    """
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, out)[1]
        self.relu = nn.ReLU(inplace=True)
        self.fold_bn = False  # fold eval-mode norms into the convolutions (CLIPResNet's fast path)
        self.downsample = None
        if stride > 1 or inplanes != out:
            self.downsample = nn.Sequential(OrderedDict([
                ('-1', nn.AvgPool2d(stride)),
                ('0', nn.Conv2d(inplanes, out, 1, bias=False)),
                ('1', build_norm_layer(norm_cfg, out)[1]),
            ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fold = self.fold_bn
        if fold and not torch.is_grad_enabled():  # fast path: folded norms, 1x1 convs as GEMMs, in-place add/ReLU
            identity = x
            if self.downsample is not None:
                pool, conv, bn = self.downsample
                identity = conv_bn_act(pool(x), conv, bn, fold, relu=False)
            out = conv_bn_act(x, self.conv1, self.bn1, fold)
            out = self.avgpool(conv_bn_act(out, self.conv2, self.bn2, fold))
            return conv_bn_act(out, self.conv3, self.bn3, fold, residual=identity)
        if self.downsample is None:
            identity = x
        else:
            pool, conv, bn = self.downsample
            identity = conv_bn(pool(x), conv, bn, fold)
        out = self.relu(conv_bn(x, self.conv1, self.bn1, fold))
        out = self.avgpool(self.relu(conv_bn(out, self.conv2, self.bn2, fold)))
        return self.relu(conv_bn(out, self.conv3, self.bn3, fold) + identity)
