"""LARS (You et al., 2017) over SGD with momentum, as PixPro/BYOL use it: 1-D parameters (biases, norms) get neither
weight decay nor the layer-wise trust ratio."""
from typing import Callable, Iterable, Optional

import torch
from torch.optim import Optimizer

from ..registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class LARS(Optimizer):
    """``d = g + wd * p``; ``d *= eta * |p| / |d|``; ``v = momentum * v + d``; ``p -= lr * v``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        momentum: SGD momentum.
        weight_decay: weight decay, applied to multi-dimensional parameters only when ``exclude_1d``.
        eta: trust coefficient (0.001).
        exclude_1d: skip decay and trust scaling for parameters with at most one dimension; a group may override it
            with its own ``exclude_1d``.
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.9, weight_decay: float = 0.0,
                 eta: float = 0.001, exclude_1d: bool = True) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0 or eta <= 0:
            raise ValueError(f'LARS: lr, momentum and weight_decay must be >= 0 and eta > 0; got lr={lr}, '
                             f'momentum={momentum}, weight_decay={weight_decay}, eta={eta}')
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta,
                                      exclude_1d=exclude_1d))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[torch.Tensor]:
        """Args:
            closure: re-evaluates the model and returns the loss (optional).

        Returns:
            The closure's loss, if given.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                update = p.grad
                if not (group['exclude_1d'] and p.ndim <= 1):
                    if group['weight_decay']:
                        update = update.add(p, alpha=group['weight_decay'])
                    param_norm, update_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(update)
                    trust = torch.where((param_norm > 0) & (update_norm > 0),
                                        group['eta'] * param_norm / update_norm, torch.ones_like(param_norm))
                    update = update * trust
                state = self.state[p]
                if 'momentum_buffer' not in state:
                    state['momentum_buffer'] = update.clone()
                else:
                    state['momentum_buffer'].mul_(group['momentum']).add_(update)
                p.add_(state['momentum_buffer'], alpha=-group['lr'])
        return loss
