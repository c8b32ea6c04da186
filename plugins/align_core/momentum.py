"""Exponential moving average of parameters, for momentum (key) encoders (MoCo, BYOL, PixPro, Contriever)."""
import torch
from torch import nn


@torch.no_grad()
def ema_update_(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """``target = momentum * target + (1 - momentum) * online`` over the parameters (buffers are not averaged).

    Args:
        target: the momentum encoder, updated in place.
        online: the trained encoder (same architecture).
        momentum: in [0, 1]; 1 keeps ``target`` unchanged.
    """
    target_params, online_params = list(target.parameters()), list(online.parameters())
    if len(target_params) != len(online_params):
        raise ValueError(f'ema_update_: {len(target_params)} target vs {len(online_params)} online parameters')
    torch._foreach_mul_(target_params, momentum)
    torch._foreach_add_(target_params, online_params, alpha=1 - momentum)
