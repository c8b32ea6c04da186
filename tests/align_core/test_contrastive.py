"""Symmetric InfoNCE: log(B) for identical features, open_clip's ClipLoss values, correct gradients through the
cross-process gather (2 processes, gloo), with equal and with unequal per-process batches (row counts gathered first,
so the labels point at the right rows) and with feature-cached accumulation on each process; the learnable temperature as open_clip keeps it (plain exp in the forward,
clamped after each step by ClampLogitScaleHook)."""
import math
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from open_clip.loss import ClipLoss

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from align_core.distributed import gather_with_grad
from align_core.feature_cache_accumulation import FeatureCacheAccumulator
from align_core.logit_scale_hook import ClampLogitScaleHook
from align_core.uneven_gather import gather_uneven_with_grad
from conftest import free_port, join_gloo_group


def test_identical_features_give_log_batch():
    features = torch.randn(1, 16).repeat(8, 1)
    assert symmetric_infonce(features, features, torch.tensor(10.0)).item() == pytest.approx(math.log(8), rel=1e-6)


def test_matches_open_clip_loss():
    torch.manual_seed(0)
    a, b = torch.randn(6, 8), torch.randn(6, 8)
    scale = torch.tensor(14.3)
    ref = ClipLoss()(torch.nn.functional.normalize(a, dim=-1), torch.nn.functional.normalize(b, dim=-1), scale)
    assert symmetric_infonce(a, b, scale).item() == pytest.approx(ref.item(), rel=1e-6)
    with pytest.raises(ValueError, match='shapes differ'):
        symmetric_infonce(a, b[:, :4], scale)


def _unrelated_pairs_loss(temperature: LearnableTemperature) -> torch.Tensor:
    """Loss of pairs whose features are unrelated: a lower scale (higher temperature) lowers it."""
    torch.manual_seed(0)
    return symmetric_infonce(torch.randn(16, 8), torch.randn(16, 8), temperature())


def test_temperature_at_the_cap_can_come_down():
    temp = LearnableTemperature(0.01)  # scale 100, the cap, from the start
    assert temp().item() == pytest.approx(100.0, rel=1e-5)
    _unrelated_pairs_loss(temp).backward()
    grad = temp.logit_scale.grad.item()
    assert grad > 1e-3  # the loss falls when the scale falls
    optimizer = torch.optim.SGD(temp.parameters(), lr=0.1)
    optimizer.step()
    assert temp().item() < 99.0


def test_hook_clamps_after_the_step_and_gradient_survives_overshoot():
    temp = LearnableTemperature(0.07)
    with torch.no_grad():
        temp.logit_scale.fill_(5.0)  # an optimizer step went past ln 100 (or a carried-over scale above the cap)
    runner = SimpleNamespace(model=torch.nn.Sequential(temp), optim_wrapper=SimpleNamespace(_accumulative_counts=1))
    hook = ClampLogitScaleHook()
    hook.before_train(runner)
    hook.after_train_iter(runner, 0)
    assert temp.logit_scale.item() == pytest.approx(math.log(100), rel=1e-6)
    with torch.no_grad():
        temp.logit_scale.fill_(-1.0)
    hook.after_train_iter(runner, 1)
    assert temp.logit_scale.item() == 0.0  # lower bound: scale 1
    temp2 = LearnableTemperature(0.07)
    with torch.no_grad():
        temp2.logit_scale.fill_(5.0)
    _unrelated_pairs_loss(temp2).backward()
    assert temp2.logit_scale.grad.item() > 1e-3  # not cut by a clamp inside the forward


def test_hook_refuses_plain_accumulation_and_models_without_temperature():
    temp = LearnableTemperature(0.07)
    plain = SimpleNamespace(model=torch.nn.Sequential(temp), optim_wrapper=SimpleNamespace(_accumulative_counts=4))
    with pytest.raises(ValueError, match='accumulative_counts=4 draws negatives from each micro-batch'):
        ClampLogitScaleHook().before_train(plain)
    empty = SimpleNamespace(model=torch.nn.Linear(2, 2), optim_wrapper=SimpleNamespace(_accumulative_counts=1))
    with pytest.raises(ValueError, match='no LearnableTemperature'):
        ClampLogitScaleHook().before_train(empty)


UNEVEN = (5, 3)  # rows per process in the unequal case (a last, smaller batch)


def _averaged_grad(weight: torch.Tensor, a: torch.Tensor, b: torch.Tensor, world: int) -> tuple:
    """Gradient of the loss w.r.t. ``weight`` averaged over processes (what DDP does), and the local loss."""
    w = weight.clone().requires_grad_(True)
    loss = symmetric_infonce(a @ w, b, torch.tensor(5.0))
    loss.backward()
    grad = w.grad.clone()
    dist.all_reduce(grad)
    return grad / world, loss.detach()


def _accumulated_grad(weight: torch.Tensor, a: torch.Tensor, b: torch.Tensor, world: int) -> torch.Tensor:
    """Feature-cached accumulation over 2 micro-batches of this process's rows, negatives from every process."""
    w = weight.clone().requires_grad_(True)
    accumulator = FeatureCacheAccumulator(2)
    for rows in (slice(0, 2), slice(2, 4)):
        accumulator.add((a[rows], b[rows]), lambda batch: (batch[0] @ w, batch[1]))
    accumulator.backward(lambda batch: (batch[0] @ w, batch[1]),
                         lambda f, live: symmetric_infonce(f[0], f[1], torch.tensor(5.0)), lambda v: v.backward())
    grad = w.grad.clone()
    dist.all_reduce(grad)
    return grad / world


def _worker(rank: int, world: int, port: int, weight: torch.Tensor, a_in: torch.Tensor, b_in: torch.Tensor,
            out: dict) -> None:
    join_gloo_group(rank, world, port)
    try:
        half = a_in.shape[0] // world
        rows = slice(rank * half, (rank + 1) * half)
        out[rank] = _averaged_grad(weight, a_in[rows], b_in[rows], world)
        gathered = gather_with_grad(torch.full((2, 1), float(rank)))
        assert gathered.flatten().tolist() == [0.0, 0.0, 1.0, 1.0]
        try:  # the equal-size gather refuses unequal row counts on every process instead of mislabelling rows
            gather_with_grad(torch.zeros(2 + rank, 1))
        except ValueError as error:
            out[f'refused{rank}'] = str(error)
        start = sum(UNEVEN[:rank])
        rows = slice(start, start + UNEVEN[rank])
        out[f'uneven{rank}'] = _averaged_grad(weight, a_in[rows], b_in[rows], world)[0]
        gathered, offset = gather_uneven_with_grad(torch.arange(UNEVEN[rank], dtype=torch.float)[:, None] + 10 * rank)
        out[f'gathered{rank}'] = (gathered.flatten().tolist(), offset)
        out[f'accumulated{rank}'] = _accumulated_grad(weight, a_in[4 * rank:4 * rank + 4], b_in[4 * rank:4 * rank + 4],
                                                      world)
    finally:
        dist.destroy_process_group()


@pytest.mark.timeout(240)
def test_gradient_through_the_gather_equals_the_full_batch_gradient():
    torch.manual_seed(0)
    weight, a, b = torch.randn(8, 8), torch.randn(8, 8), torch.randn(8, 8)
    w = weight.clone().requires_grad_(True)
    full = symmetric_infonce(a @ w, b, torch.tensor(5.0), gather=False)
    full.backward()
    manager = mp.Manager()
    out = manager.dict()
    mp.spawn(_worker, args=(2, free_port(), weight, a, b, out), nprocs=2, join=True)
    for rank in (0, 1):
        assert torch.allclose(out[rank][0], w.grad, atol=1e-6), rank
        # 5 rows on rank 0, 3 on rank 1: the same full-batch gradient
        assert torch.allclose(out[f'uneven{rank}'], w.grad, atol=1e-6), rank
        # 2 micro-batches of 2 rows per process, feature-cached accumulation with negatives from both processes
        assert torch.allclose(out[f'accumulated{rank}'], w.grad, atol=1e-6), rank
    assert (out[0][1] + out[1][1]).item() / 2 == pytest.approx(full.item(), rel=1e-5)
    assert 'different numbers of rows [2, 3]' in out['refused0'] and out['refused0'] == out['refused1']
    assert out['gathered0'] == ([0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0], 0)
    assert out['gathered1'] == ([0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0], 5)
