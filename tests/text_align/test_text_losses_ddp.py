"""Under DDP (2 CPU processes, gloo): InBatchInfoNCELoss with candidates from every process has the gradient of
the full-batch loss, and the MoCo queue enqueues every process's keys in rank order."""
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from conftest import free_port, join_gloo_group
from align_core.momentum_queue import FeatureQueue
from text_align.losses import InBatchInfoNCELoss


def _worker(rank: int, world: int, port: int, weight, queries, positives, negatives, out) -> None:
    join_gloo_group(rank, world, port)
    try:
        w = weight.clone().requires_grad_(True)
        half = queries.shape[0] // world
        rows = slice(rank * half, (rank + 1) * half)
        loss = InBatchInfoNCELoss(temperature=0.1)(queries[rows] @ w, positives[rows], negatives[rows])
        loss.backward()
        grad = w.grad.clone()
        dist.all_reduce(grad)
        queue = FeatureQueue(dim=1, size=8)
        queue.enqueue(torch.full((2, 1), float(rank)))
        out[rank] = (grad / world, loss.detach(), queue.valid().flatten().tolist())
    finally:
        dist.destroy_process_group()


def test_gathered_candidates_give_the_full_batch_gradient_and_queue():
    torch.manual_seed(0)
    weight, queries, positives = torch.randn(8, 8), torch.randn(8, 8), torch.randn(8, 8)
    negatives = torch.randn(8, 2, 8)
    w = weight.clone().requires_grad_(True)
    full = InBatchInfoNCELoss(temperature=0.1, gather=False)(queries @ w, positives, negatives)
    full.backward()
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), weight, queries, positives, negatives, out), nprocs=2, join=True)
    for rank in (0, 1):
        torch.testing.assert_close(out[rank][0], w.grad, atol=1e-6, rtol=1e-5)
        assert out[rank][2] == [0.0, 0.0, 1.0, 1.0]
    assert (out[0][1] + out[1][1]).item() / 2 == pytest.approx(full.item(), rel=1e-5)


def _uneven_worker(rank: int, world: int, port: int, weight, queries, positives, negatives, groups, out) -> None:
    join_gloo_group(rank, world, port)
    try:
        rows = slice(0, 3) if rank == 0 else slice(3, 8)  # 3 and 5 rows
        for symmetric in (False, True):
            w = weight.clone().requires_grad_(True)
            loss = InBatchInfoNCELoss(temperature=0.1, symmetric=symmetric)(
                queries[rows] @ w, positives[rows], negatives[rows], groups=groups[rows])
            loss.backward()
            grad, total = w.grad.clone(), loss.detach().clone()
            dist.all_reduce(grad)
            dist.all_reduce(total)
            out[(rank, symmetric)] = (grad / world, total / world)
    finally:
        dist.destroy_process_group()


def test_unequal_batches_give_the_full_batch_loss_and_gradient():
    torch.manual_seed(1)
    weight, queries, positives = torch.randn(8, 8), torch.randn(8, 8), torch.randn(8, 2, 8)
    negatives = torch.randn(8, 1, 8)
    groups = torch.tensor([0, 1, 2, 0, 3, 1, 4, 5])  # same-group rows on both processes
    out = mp.Manager().dict()
    mp.spawn(_uneven_worker, args=(2, free_port(), weight, queries, positives, negatives, groups, out), nprocs=2,
             join=True)
    for symmetric in (False, True):
        w = weight.clone().requires_grad_(True)
        full = InBatchInfoNCELoss(temperature=0.1, symmetric=symmetric, gather=False)(
            queries @ w, positives, negatives, groups=groups)
        full.backward()
        for rank in (0, 1):  # DDP's average of the per-process gradients and of the losses
            torch.testing.assert_close(out[(rank, symmetric)][0], w.grad, atol=1e-6, rtol=1e-5)
            assert out[(rank, symmetric)][1].item() == pytest.approx(full.item(), rel=1e-5)
