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
