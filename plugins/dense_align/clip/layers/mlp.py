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


#: QuickGELU(x) = x * sigmoid(1.702 x) = SiLU(1.702 x) / 1.702: the scales fold into the two linear layers.
QUICK_GELU_SCALE = 1.702


def _folded_quick_gelu(mlp: nn.Sequential) -> tuple:
    """``(c_fc weight, c_fc bias) * 1.702`` and ``c_proj weight / 1.702``, cached on ``mlp`` until a weight changes."""
    fc, proj = mlp.c_fc, mlp.c_proj
    key = tuple((t.data_ptr(), t._version, t.dtype) for t in (fc.weight, fc.bias, proj.weight))
    cached = mlp.__dict__.get('_folded_quick_gelu')
    if cached is None or cached[0] != key:
        cached = (key, fc.weight * QUICK_GELU_SCALE, fc.bias * QUICK_GELU_SCALE, proj.weight / QUICK_GELU_SCALE)
        mlp.__dict__['_folded_quick_gelu'] = cached
    return cached[1:]


def clip_mlp_fast(mlp: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Inference forward of a :func:`clip_mlp` without autograd: a QuickGELU MLP runs as ``c_proj'(SiLU(c_fc'(x)))``
    with the 1.702 scales folded into the weights, each linear layer with its activation in one fused call (see
    :func:`fused_linear`); equal to ``mlp(x)`` within float rounding.

    Args:
        mlp: the MLP built by :func:`clip_mlp`.
        x: tokens (..., dim).

    Returns:
        ``mlp(x)``.
    """
    if torch.is_grad_enabled():
        return mlp(x)
    if isinstance(mlp.gelu, QuickGELUActivation):
        fc_w, fc_b, proj_w = _folded_quick_gelu(mlp)
        return fused_linear(fused_linear(x, fc_w, fc_b, 'swish'), proj_w, mlp.c_proj.bias)
    hidden = mlp.gelu(fused_linear(x, mlp.c_fc.weight, mlp.c_fc.bias))
    return fused_linear(hidden, mlp.c_proj.weight, mlp.c_proj.bias)
