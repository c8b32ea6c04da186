"""The transformer MLP with CLIP's key names (``c_fc``, ``c_proj``) and its activations."""
from collections import OrderedDict

import torch
from torch import nn


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
