"""The released DITO mask head (google-research fvlm ``modeling/heads.py`` ``MaskrcnnHead`` with the LVIS export's
``use_batch_norm=False`` and ``use_norm_activation=True``): mmdet's ``FCNMaskHead`` with a LayerNorm after every
conv and the deconv, and L2-normalised ("normalized activation") 3x3 convs and 1x1 mask logits."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import nn

from ..registration import register_model
from .channel_norm import ChannelLayerNorm

#: ``normalized_activation_layers.l2_normalize``: ``x * rsqrt(sum(x^2) + eps)``.
L2_EPS = 1e-12


def normalized_conv2d(x: torch.Tensor, conv: nn.Conv2d, temperature: float = 20.0) -> torch.Tensor:
    """fvlm's ``NormalizedConv``: the input L2-normalised over channels at every pixel and times ``temperature``,
    the kernel L2-normalised over its input channels separately for every tap and output channel, then the conv
    (same padding) plus bias. Padded pixels stay 0, as in the release (padding follows the normalisation).

    Args:
        x: (N, C, H, W) input.
        conv: the conv whose weight (O, C, kh, kw), bias, stride and padding are used.
        temperature: scale of the normalised input (released default 20).

    Returns:
        (N, O, H', W') output.
    """
    x = x * torch.rsqrt((x * x).sum(dim=1, keepdim=True) + L2_EPS) * temperature
    weight = conv.weight * torch.rsqrt((conv.weight * conv.weight).sum(dim=1, keepdim=True) + L2_EPS)
    return F.conv2d(x, weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)


@register_model(into=('mmdet', ))
class DITOMaskHead(FCNMaskHead):
    """``FCNMaskHead`` in the released DITO layout.

    Released ``MaskrcnnHead`` (fvlm ``modeling/heads.py``; ``configs/model.gin``: ``num_classes = 1``,
    ``use_class_agnostic = True``; ``dito/configs/export_dito.gin``: ``use_batch_norm = False``,
    ``use_norm_activation = True``) on 14 x 14 RoI features: 4 x [3x3 conv, LayerNorm, ReLU], 2x2 / 2 deconv,
    LayerNorm, ReLU, 1x1 conv to the mask logits (28 x 28); the convs and the logits layer are ``NormalizedConv``
    (:func:`normalized_conv2d`), the deconv a plain one. Prediction takes the sigmoid (mmdet's ``predict_by_feat``,
    as ``ClipFasterRCNNHead``'s ``detection_masks``). Keys beyond ``FCNMaskHead``'s: ``conv_norms.i``,
    ``upsample_norm``.

    Args:
        norm_eps: if set, a LayerNorm over channels with this epsilon follows every conv and the deconv, before the
            ReLU (released: Flax's 1e-6); None keeps ``FCNMaskHead`` (``norm_cfg`` then applies).
        normalized_convs: use :func:`normalized_conv2d` for the 3x3 convs and the logits layer.
        norm_temperature: the ``NormalizedConv`` input scale (released default 20).
        **kwargs: ``FCNMaskHead`` arguments (released: ``num_convs=4``, ``conv_out_channels=256``,
            ``class_agnostic=True``, the default deconv upsampling by 2).
    """

    def __init__(self, norm_eps: Optional[float] = None, normalized_convs: bool = False,
                 norm_temperature: float = 20.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if (norm_eps is not None or normalized_convs) and self.upsample_method != 'deconv':
            raise ValueError(f'DITOMaskHead: norm_eps / normalized_convs need upsample_cfg type "deconv" (the '
                             f'released ConvTranspose), got {self.upsample_method!r}')
        if (norm_eps is not None or normalized_convs) and self.norm_cfg is not None:
            raise ValueError('DITOMaskHead: set either norm_cfg (mmdet ConvModule norms) or norm_eps / '
                             'normalized_convs (the released layout), not both')
        self.norm_eps = norm_eps
        self.normalized_convs = normalized_convs
        self.norm_temperature = norm_temperature
        if norm_eps is not None:
            self.conv_norms = nn.ModuleList(ChannelLayerNorm(self.conv_out_channels, norm_eps)
                                            for _ in range(self.num_convs))
            self.upsample_norm = ChannelLayerNorm(self.conv_out_channels, norm_eps)

    def _conv(self, x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
        return normalized_conv2d(x, conv, self.norm_temperature) if self.normalized_convs else conv(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: (N, C, s, s) mask RoI features.

        Returns:
            (N, 1 or num_classes, 2s, 2s) mask logits.
        """
        if self.norm_eps is None and not self.normalized_convs:
            return super().forward(x)
        for i, conv in enumerate(self.convs):
            x = self._conv(x, conv.conv)
            x = self.relu(self.conv_norms[i](x) if self.norm_eps is not None else x)
        x = self.upsample(x)
        x = self.relu(self.upsample_norm(x) if self.norm_eps is not None else x)
        return self._conv(x, self.conv_logits)
