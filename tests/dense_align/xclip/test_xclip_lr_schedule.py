"""X-CLIP's learning-rate schedule: the paper configs' ``TimmCosineLR`` against timm's ``CosineLRScheduler`` driven
the way the reference's ``main.py`` drives it (``step_update(epoch * iters + idx)`` after each optimizer step)."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from timm.scheduler.cosine_lr import CosineLRScheduler

from conftest import REPO
from dense_align.registry import PARAM_SCHEDULERS

EPOCH_LENGTH = 12  # loader iterations per epoch (small, so that every phase has several updates)


def two_group_optimizer(lr: float) -> torch.optim.Optimizer:
    """AdamW with a CLIP group at ``lr`` and a new-module group at 10 x ``lr``, as X-CLIP's optimizer."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    return torch.optim.AdamW([dict(params=[params[0]], lr=lr), dict(params=[params[1]], lr=10 * lr)], lr=lr)


def reference_lrs(lr: float, epochs: int, accumulation: int) -> list:
    """Learning rates of every optimizer step of VideoX X-CLIP (``utils/optimizer.py::build_scheduler``)."""
    optimizer = two_group_optimizer(lr)
    scheduler = CosineLRScheduler(optimizer, t_initial=epochs * EPOCH_LENGTH, lr_min=lr / 100, warmup_lr_init=0,
                                  warmup_t=5 * EPOCH_LENGTH, cycle_limit=1, t_in_epochs=False)
    used = []
    for idx in range(epochs * EPOCH_LENGTH):  # epoch * num_steps + idx, flattened
        if (idx + 1) % accumulation == 0:
            used.append([g['lr'] for g in optimizer.param_groups])  # optimizer.step() uses these
            scheduler.step_update(idx)
    return used


def our_lrs(config: str, accumulation: int) -> tuple:
    """Learning rates of every optimizer step under mmengine with the config's param_scheduler."""
    cfg = Config.fromfile(str(REPO / config))
    init_default_scope('dense_align')
    optimizer = two_group_optimizer(cfg.optim_wrapper.optimizer.lr)
    schedulers = [PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optimizer, epoch_length=EPOCH_LENGTH))
                  for s in cfg.param_scheduler]
    epochs = cfg.train_cfg.max_epochs
    used = []
    for idx in range(epochs * EPOCH_LENGTH):
        if (idx + 1) % accumulation == 0:
            used.append([g['lr'] for g in optimizer.param_groups])
        for scheduler in schedulers:  # ParamSchedulerHook.after_train_iter
            scheduler.step()
    return used, cfg.optim_wrapper.optimizer.lr, epochs


@pytest.mark.parametrize('config,accumulation', [
    ('configs/xclip/xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py', 4),
    ('configs/xclip/few-shot/xclip_vit-b16-32f_8xb4-acc2-50e_hmdb51-2shot.py', 2)])
def test_paper_schedule_equals_timm_cosine_as_the_reference_steps_it(config, accumulation):
    ours, lr, epochs = our_lrs(config, accumulation)
    expected = reference_lrs(lr, epochs, accumulation)
    assert len(ours) == len(expected) == epochs * EPOCH_LENGTH // accumulation
    torch.testing.assert_close(torch.tensor(ours, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64),
                               rtol=1e-9, atol=0)


def test_schedule_shape_by_hand():
    """One cosine over all epochs from step 0 (warm-up overriding its start), lr_min absolute for every group."""
    ours, lr, epochs = our_lrs('configs/xclip/xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py', 1)
    total, warmup, lr_min = epochs * EPOCH_LENGTH, 5 * EPOCH_LENGTH, lr / 100
    lag = 4  # the config's step_lag: the update at iteration i uses step i - 4
    assert ours[warmup - 1 + lag][0] == pytest.approx(lr * (warmup - 1) / warmup)  # end of the linear warm-up
    after = lr_min + 0.5 * (10 * lr - lr_min) * (1 + math.cos(math.pi * warmup / total))  # not 10 * lr
    assert ours[warmup + lag][1] == pytest.approx(after, rel=1e-12)
    assert ours[-1][1] == pytest.approx(lr_min + 0.5 * (10 * lr - lr_min) * (1 + math.cos(math.pi * (total - 1 - lag)
                                                                                          / total)), rel=1e-12)
    assert 1e-7 < ours[-1][1] < 2e-7  # the 10x group ends near 8e-8 (lr / 1000 of its start), not 8e-7


def test_bad_arguments_are_named():
    optimizer = two_group_optimizer(1.0)
    with pytest.raises(ValueError, match='t_initial must be positive'):
        PARAM_SCHEDULERS.build(dict(type='TimmCosineLR', optimizer=optimizer, t_initial=0, by_epoch=False))
    with pytest.raises(ValueError, match='step_lag must be >= 0'):
        PARAM_SCHEDULERS.build(dict(type='TimmCosineLR', optimizer=optimizer, t_initial=5, step_lag=-1,
                                    by_epoch=False))
