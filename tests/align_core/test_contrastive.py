"""Symmetric InfoNCE: log(B) for identical features, open_clip's ClipLoss values, and correct gradients through the
cross-process gather (2 processes, gloo)."""
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from open_clip.loss import ClipLoss

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from align_core.distributed import gather_with_grad
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


def test_learnable_temperature_is_clamped():
    temp = LearnableTemperature(0.07)
    assert temp().item() == pytest.approx(1 / 0.07, rel=1e-5)
    with torch.no_grad():
        temp.logit_scale.fill_(10.0)
    assert temp().item() == pytest.approx(100.0)



def _worker(rank: int, world: int, port: int, weight: torch.Tensor, a_in: torch.Tensor, b_in: torch.Tensor,
            out: dict) -> None:
    join_gloo_group(rank, world, port)
    try:
        w = weight.clone().requires_grad_(True)
        half = a_in.shape[0] // world
        rows = slice(rank * half, (rank + 1) * half)
        loss = symmetric_infonce(a_in[rows] @ w, b_in[rows], torch.tensor(5.0))
        loss.backward()
        grad = w.grad.clone()
        dist.all_reduce(grad)  # what DDP does with the gradients: average over processes
        out[rank] = (grad / world, loss.detach())
        gathered = gather_with_grad(torch.full((2, 1), float(rank)))
        assert gathered.flatten().tolist() == [0.0, 0.0, 1.0, 1.0]
    finally:
        dist.destroy_process_group()


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
    assert (out[0][1] + out[1][1]).item() / 2 == pytest.approx(full.item(), rel=1e-5)
