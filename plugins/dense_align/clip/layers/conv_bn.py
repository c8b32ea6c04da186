"""Convolution followed by BatchNorm, with the norm folded into the convolution when it is frozen (eval mode)."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def can_fold(bn: nn.Module) -> bool:
    """Whether ``bn`` is a BatchNorm that acts as a fixed per-channel affine map (eval mode, running statistics).

    Args:
        bn: the norm layer after a convolution.

    Returns:
        True when folding it into the convolution leaves the output unchanged.
    """
    return isinstance(bn, _BatchNorm) and not bn.training and bn.running_var is not None


def fold_conv_bn(conv: nn.Conv2d, bn: _BatchNorm) -> Tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of the single convolution equal to ``bn(conv(x))`` for an eval-mode ``bn``.

    ``scale = gamma / sqrt(running_var + eps)``; ``weight = conv.weight * scale``;
    ``bias = beta + (conv.bias - running_mean) * scale``. The result stays differentiable with respect to the
    convolution and the norm's affine parameters, so a training step through it has the same gradients.

    Args:
        conv: the convolution.
        bn: the BatchNorm after it, in eval mode.

    Returns:
        ``(weight, bias)`` of the folded convolution.
    """
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean if conv.bias is None else conv.bias - bn.running_mean
    bias = shift * scale + (bn.bias if bn.bias is not None else 0)
    return conv.weight * scale.reshape(-1, 1, 1, 1), bias


def _cache_key(conv: nn.Conv2d, bn: _BatchNorm) -> tuple:
    tensors = [conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var]
    return tuple((t.data_ptr(), t._version, t.dtype) for t in tensors if t is not None)


def conv_bn(x: torch.Tensor, conv: nn.Conv2d, bn: nn.Module, fold: bool) -> torch.Tensor:
    """``bn(conv(x))``, computed as one folded convolution when ``fold`` is set and ``bn`` can be folded.

    Without gradients the folded weights are cached on ``conv`` (in channels-last layout when ``x`` is
    channels-last) and recomputed whenever a weight or a running statistic changes; with gradients they are
    recomputed on every call, so training through frozen norms is unchanged.

    Args:
        x: input (B, C, H, W).
        conv: the convolution.
        bn: the norm after it.
        fold: use the folded convolution where possible.

    Returns:
        The normalised convolution output.
    """
    if not (fold and can_fold(bn)):
        return bn(conv(x))
    if torch.is_grad_enabled():
        weight, bias = fold_conv_bn(conv, bn)
    else:
        channels_last = x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
        key = _cache_key(conv, bn) + (channels_last, )
        cached = conv.__dict__.get('_folded_bn')
        if cached is None or cached[0] != key:
            weight, bias = fold_conv_bn(conv, bn)
            if channels_last:
                weight = weight.contiguous(memory_format=torch.channels_last)
            conv.__dict__['_folded_bn'] = cached = (key, weight, bias)
        weight, bias = cached[1], cached[2]
    return F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups)
