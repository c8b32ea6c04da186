"""The transformer MLP with CLIP's key names (``c_fc``, ``c_proj``) and its activations."""
from collections import OrderedDict

import torch
from torch import nn

from .fused_linear import fused_linear


class QuickGELUActivation(nn.Module):
    """``x * sigmoid(1.702 x)``, the activation OpenAI CLIP was trained with (mmseg registers ``QuickGELU``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


ACTIVATIONS = {'quick_gelu': QuickGELUActivation, 'gelu': nn.GELU}


def build_activation(name: str) -> nn.Module:
    """Build an activation by name.

    Args:
        name: ``'quick_gelu'`` (OpenAI weights) or ``'gelu'`` (open_clip models without ``-quickgelu``).

    Returns:
        The activation module.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f'unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}')
    return ACTIVATIONS[name]()


def clip_mlp(dim: int, hidden: int, act: str) -> nn.Sequential:
    """Linear -> activation -> linear, with the keys ``c_fc``, ``gelu``, ``c_proj`` of CLIP checkpoints.

    Args:
        dim: input and output width.
        hidden: hidden width.
        act: activation name (see :func:`build_activation`).

    Returns:
        The MLP.
    """
    return nn.Sequential(OrderedDict([('c_fc', nn.Linear(dim, hidden)), ('gelu', build_activation(act)),
                                      ('c_proj', nn.Linear(hidden, dim))]))


#: QuickGELU(h) = h * sigmoid(1.702 h) = SiLU(1.702 h) / 1.702.
QUICK_GELU_SCALE = 1.702


def clip_mlp_fast(mlp: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Inference forward of a :func:`clip_mlp` without autograd, each linear layer with its activation in one fused
    call (see :func:`fused_linear`). A QuickGELU MLP runs as ``c_proj(SiLU(c_fc(1.702 x)) ; bias * 1.702) / 1.702``
    (the 1.702 scales moved onto the narrow input and output, c_fc's bias scaled), so the wide hidden layer needs one
    pass instead of three and no scaled copy of the weights is kept; equal to ``mlp(x)`` within float rounding.

    Args:
        mlp: the MLP built by :func:`clip_mlp`.
        x: tokens (..., dim).

    Returns:
        ``mlp(x)``.
    """
    if torch.is_grad_enabled():
        return mlp(x)
    fc, proj = mlp.c_fc, mlp.c_proj
    if isinstance(mlp.gelu, QuickGELUActivation):
        s = QUICK_GELU_SCALE
        hidden = fused_linear(x * s, fc.weight, None if fc.bias is None else fc.bias * s, 'swish')
        return fused_linear(hidden, proj.weight, None if proj.bias is None else proj.bias * s) / s
    return fused_linear(mlp.gelu(fused_linear(x, fc.weight, fc.bias)), proj.weight, proj.bias)
