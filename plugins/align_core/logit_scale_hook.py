"""Keeps every learnable CLIP temperature in range after each optimizer step, as open_clip does."""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from torch import nn

from .contrastive import LearnableTemperature


def learnable_temperatures(model: nn.Module) -> List[LearnableTemperature]:
    """Every :class:`LearnableTemperature` inside ``model`` (model wrappers unwrapped).

    Args:
        model: a model, possibly wrapped for DDP.

    Returns:
        The temperature modules, in module order.
    """
    model = model.module if is_model_wrapper(model) else model
    return [m for m in model.modules() if isinstance(m, LearnableTemperature)]


def refuse_plain_accumulation(accumulative_counts: int, where: str) -> None:
    """Raise when mmengine's gradient accumulation is set for a contrastive model.

    mmengine's ``accumulative_counts`` back-propagates each micro-batch on its own, so each micro-batch's
    negatives come from that micro-batch only: it is not the loss of the big batch. open_clip's feature-cached
    accumulation is (``accum_steps`` of the model, see :mod:`align_core.feature_cache_accumulation`).

    Args:
        accumulative_counts: the optimizer wrapper's ``accumulative_counts``.
        where: what to name in the error.
    """
    if accumulative_counts != 1:
        raise ValueError(f'{where}: optim_wrapper.accumulative_counts={accumulative_counts} draws negatives from '
                         f'each micro-batch only, which is not the contrastive loss of the big batch; set it to 1 '
                         f'and use the model\'s accum_steps (feature-cached accumulation, as open_clip\'s '
                         f'--accum-freq) instead')


@HOOKS.register_module()
class ClampLogitScaleHook(Hook):
    """After every training iteration, clamp each ``LearnableTemperature`` of the model to ``[0, ln max_scale]``.

    Before training it also refuses mmengine's plain gradient accumulation for a model that has a learnable
    temperature (a contrastive model), see :func:`refuse_plain_accumulation`.

    Args:
        priority: hook priority; ``'ABOVE_NORMAL'`` runs before checkpointing and logging.
    """

    priority = 'ABOVE_NORMAL'

    def before_train(self, runner) -> None:
        """Check the model has a temperature and no plain accumulation is set."""
        if not learnable_temperatures(runner.model):
            raise ValueError('ClampLogitScaleHook: the model has no LearnableTemperature to clamp')
        counts = getattr(runner.optim_wrapper, '_accumulative_counts', 1)
        refuse_plain_accumulation(counts, 'ClampLogitScaleHook')

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Clamp the temperatures (idempotent, so also right on iterations where no step was taken)."""
        for temperature in learnable_temperatures(runner.model):
            temperature.clamp_()
