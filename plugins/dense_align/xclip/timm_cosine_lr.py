"""timm's ``CosineLRScheduler`` (one cycle) as an mmengine parameter scheduler: the X-CLIP reference schedule."""
import math
from typing import List

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from ..registry import PARAM_SCHEDULERS


def timm_cosine_value(t: int, base: float, t_initial: int, lr_min: float, warmup_t: int, warmup_lr_init: float,
                      warmup_prefix: bool = False) -> float:
    """The learning rate of timm's one-cycle ``CosineLRScheduler`` at step ``t``.

    Args:
        t: step (0-based).
        base: the group's base learning rate.
        t_initial: length of the cosine (steps); ``lr_min`` from there on.
        lr_min: final learning rate, absolute (the same for every group).
        warmup_t: warm-up steps, linear from ``warmup_lr_init``; they replace the start of the cosine unless
            ``warmup_prefix``, which shifts the cosine to start after them.
        warmup_lr_init: learning rate at step 0.
        warmup_prefix: see ``warmup_t``.

    Returns:
        The learning rate.
    """
    if t < warmup_t:
        return warmup_lr_init + t * (base - warmup_lr_init) / warmup_t
    if warmup_prefix:
        t -= warmup_t
    if t >= t_initial:
        return lr_min
    return lr_min + 0.5 * (base - lr_min) * (1 + math.cos(math.pi * t / t_initial))


@PARAM_SCHEDULERS.register_module()
class TimmCosineLR(LRSchedulerMixin, _ParamScheduler):
    """timm's ``CosineLRScheduler(t_initial, lr_min, warmup_t, warmup_lr_init, warmup_prefix, cycle_limit=1)``
    stepped per update (``t_in_epochs=False``), in closed form.

    X-CLIP (``utils/optimizer.py``) runs it with ``t_initial`` = all 30 epochs, ``warmup_t`` = 5 epochs,
    ``warmup_lr_init=0``, ``lr_min`` = base lr / 100 as one absolute value for every group (the 10x groups
    therefore end at 1/1000 of their start) and no warm-up prefix: the cosine is counted from step 0 and the
    warm-up overrides its first 5 epochs, so the lr drops from ``(1 - 1/warmup_t) * base`` to the cosine's
    value at ``warmup_t`` at the end of the warm-up.

    The reference sets the lr for the next update after each update (``step_update(i)`` after the optimizer step
    of iteration i; with gradient accumulation only every ``acc`` iterations), so the update at iteration i uses
    the value of step ``i - acc``; ``step_lag=acc`` reproduces that (mmengine steps the scheduler every
    iteration and an update at iteration i uses the value of step ``i - step_lag``).

    Args:
        optimizer: the optimizer (wrapper).
        t_initial: cosine length in steps (epochs with ``by_epoch=True``; converted with
            ``convert_to_iter_based=True``).
        lr_min: final learning rate (absolute, every group).
        warmup_t: warm-up length (same unit as ``t_initial``).
        warmup_lr_init: learning rate at step 0.
        warmup_prefix: start the cosine after the warm-up instead of at step 0.
        step_lag: use the value of ``step_lag`` steps earlier (clamped at step 0).
        begin: first step of this scheduler.
        end: step after its last.
        last_step: for resuming without a state dict.
        by_epoch: ``t_initial``, ``warmup_t``, ``begin`` and ``end`` in epochs.
        verbose: print every change.
    """

    def __init__(self, optimizer, t_initial: int, lr_min: float = 0.0, warmup_t: int = 0,
                 warmup_lr_init: float = 0.0, warmup_prefix: bool = False, step_lag: int = 0, begin: int = 0,
                 end: int = INF, last_step: int = -1, by_epoch: bool = True, verbose: bool = False) -> None:
        for name, value in (('t_initial', t_initial), ('warmup_t', warmup_t), ('step_lag', step_lag)):
            if value < 0 or (name == 't_initial' and value == 0):
                raise ValueError(f'TimmCosineLR: {name} must be {"positive" if name == "t_initial" else ">= 0"}, '
                                 f'got {value}')
        self.t_initial, self.lr_min, self.warmup_t = int(t_initial), lr_min, int(warmup_t)
        self.warmup_lr_init, self.warmup_prefix, self.step_lag = warmup_lr_init, warmup_prefix, int(step_lag)
        super().__init__(optimizer, begin=begin, end=end, last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, t_initial: int, warmup_t: int = 0, begin: int = 0, end: int = INF,
                              by_epoch: bool = True, epoch_length: int = None, **kwargs) -> 'TimmCosineLR':
        """An iteration-based instance from epoch-based arguments (X-CLIP: ``int(epochs * iters_per_epoch)``).

        Args:
            *args: passed on.
            t_initial: cosine length in epochs.
            warmup_t: warm-up length in epochs.
            begin: first epoch.
            end: epoch after the last.
            by_epoch: must be True.
            epoch_length: iterations per epoch.
            **kwargs: passed on.

        Returns:
            The scheduler.
        """
        if not by_epoch or not epoch_length or epoch_length <= 0:
            raise ValueError(f'TimmCosineLR: converting to iterations needs by_epoch=True and a positive '
                             f'epoch_length, got by_epoch={by_epoch}, epoch_length={epoch_length}')
        return cls(*args, t_initial=int(t_initial * epoch_length), warmup_t=int(warmup_t * epoch_length),
                   begin=int(begin * epoch_length), end=end if end == INF else int(end * epoch_length),
                   by_epoch=False, **kwargs)

    def _get_value(self) -> List[float]:
        t = max(self.last_step - self.step_lag, 0)
        return [timm_cosine_value(t, base, self.t_initial, self.lr_min, self.warmup_t, self.warmup_lr_init,
                                  self.warmup_prefix) for base in self.base_values]
