"""A DDP wrapper for models that run their own training step (several forward / backward passes per step, e.g.
GradCache), which mmengine's ``MMDistributedDataParallel`` would bypass."""
from typing import Dict

import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors


def average_gradients(module: torch.nn.Module) -> None:
    """Replace the gradient of every trainable parameter by its mean over all processes (a missing gradient counts
    as zero, so that every process reduces the same tensors).

    Args:
        module: the model; its parameters' ``.grad`` are changed in place.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    if not params or not dist.is_initialized() or dist.get_world_size() == 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    for param, value in zip(params, _unflatten_dense_tensors(flat, grads)):
        if param.grad is None:
            param.grad = value.clone()
        else:
            param.grad.copy_(value)


@MODEL_WRAPPERS.register_module()
class OwnTrainStepDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that lets a model with ``has_own_train_step`` true run its ``train_step``.

    mmengine's wrapper calls the module's ``forward`` and ``update_params`` itself, so a model's own ``train_step``
    never runs under DDP. For such a model this wrapper calls the model's ``train_step``; its passes do not go
    through DDP, so the gradients are averaged over the processes here, just before the optimizer step (before
    gradient clipping). Other models take the normal DDP path. Select it with
    ``model_wrapper_cfg = dict(type='OwnTrainStepDDP')``.

    Args:
        module: the model.
        **kwargs: :class:`MMDistributedDataParallel` arguments.
    """

    def train_step(self, data: dict, optim_wrapper) -> Dict[str, torch.Tensor]:
        """The module's ``train_step`` with gradients averaged before each optimizer step, or DDP's own.

        Args:
            data: a batch from the dataloader.
            optim_wrapper: the optimizer wrapper.

        Returns:
            The log variables.
        """
        if not getattr(self.module, 'has_own_train_step', False):
            return super().train_step(data, optim_wrapper)
        step = optim_wrapper.step

        def averaged_step(*args, **kwargs):
            average_gradients(self.module)
            return step(*args, **kwargs)

        optim_wrapper.step = averaged_step  # instance attribute: update_params' self.step() finds it too
        try:
            with self.no_sync():  # DDP's own gradient hooks stay out of it; the gradients are averaged above
                return self.module.train_step(data, optim_wrapper)
        finally:
            del optim_wrapper.step
