"""Convolution followed by BatchNorm, with the norm folded into the convolution when it is frozen (eval mode)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .fused_linear import fused_linear, onednn_linear_available


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


def _cached_fold(conv: nn.Conv2d, bn: _BatchNorm, channels_last: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """The folded ``(weight, bias)``, cached on ``conv`` (no autograd) until a weight or statistic changes."""
    key = _cache_key(conv, bn) + (channels_last, )
    cached = conv.__dict__.get('_folded_bn')
    if cached is None or cached[0] != key:
        weight, bias = fold_conv_bn(conv, bn)
        if channels_last:
            weight = weight.contiguous(memory_format=torch.channels_last)
        conv.__dict__['_folded_bn'] = cached = (key, weight, bias)
    return cached[1], cached[2]


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
        weight, bias = _cached_fold(conv, bn, x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last))
    return F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups)


def _is_pointwise(conv: nn.Conv2d) -> bool:
    return (conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.padding == (0, 0) and conv.groups == 1
            and conv.dilation == (1, 1))


def conv_bn_act(x: torch.Tensor, conv: nn.Conv2d, bn: nn.Module, fold: bool, relu: bool = True,
                residual: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``relu(bn(conv(x)) + residual)`` (each part optional), for the inference fast path.

    On the fast path (``fold``, an eval-mode ``bn``, no autograd, a channels-last float32 CPU input) a 1x1 stride-1
    convolution runs as one matrix multiply on the channels-last view (oneDNN's linear kernel with the folded
    weights, the ReLU fused when there is no residual); the residual add and ReLU then run in place on the fresh
    output. Elsewhere (3x3 convolutions, training, other devices) this is :func:`conv_bn` followed by in-place add
    and ReLU. Equal to the plain formula within float rounding.

    Args:
        x: input (B, C, H, W).
        conv: the convolution.
        bn: the norm after it.
        fold: fold eval-mode norms (the fast path).
        relu: apply ReLU last.
        residual: added before the ReLU, same shape as the output.

    Returns:
        The output (B, C', H, W), channels-last on the fast path.
    """
    channels_last = x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
    if (fold and can_fold(bn) and _is_pointwise(conv) and channels_last and onednn_linear_available(x)):
        weight, bias = _cached_fold(conv, bn, True)
        b, c, h, w = x.shape
        act = 'relu' if relu and residual is None else 'none'
        flat = fused_linear(x.permute(0, 2, 3, 1).reshape(b * h * w, c), weight.reshape(weight.shape[0], c), bias,
                            act)
        out = flat.view(b, h, w, -1).permute(0, 3, 1, 2)
        if residual is not None:
            out = out.add_(residual)
            return out.relu_() if relu else out
        return out
    out = conv_bn(x, conv, bn, fold)
    if residual is not None:
        out = out + residual if torch.is_grad_enabled() else out.add_(residual)
    if relu:
        out = F.relu(out) if torch.is_grad_enabled() else out.relu_()
    return out
