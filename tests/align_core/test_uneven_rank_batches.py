"""Symmetric InfoNCE under DDP with a different number of rows on each process (a last, smaller batch): the row
counts are gathered first, so labels point at the right rows and the averaged gradient is the full batch's."""
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from align_core.contrastive import symmetric_infonce
from align_core.uneven_gather import gather_uneven_with_grad
from conftest import free_port, join_gloo_group

SIZES = (5, 3)


def _worker(rank: int, world: int, port: int, weight: torch.Tensor, a_in: torch.Tensor, b_in: torch.Tensor,
            out: dict) -> None:
    join_gloo_group(rank, world, port)
    try:
        start = sum(SIZES[:rank])
        rows = slice(start, start + SIZES[rank])
        gathered, offset = gather_uneven_with_grad(torch.arange(SIZES[rank], dtype=torch.float)[:, None] + 10 * rank)
        out[f'gathered{rank}'] = (gathered.flatten().tolist(), offset)
        w = weight.clone().requires_grad_(True)
        loss = symmetric_infonce(a_in[rows] @ w, b_in[rows], torch.tensor(5.0))
        loss.backward()
        grad = w.grad.clone()
        dist.all_reduce(grad)  # DDP: the mean of the processes' gradients
        out[rank] = grad / world
    finally:
        dist.destroy_process_group()


@pytest.mark.timeout(180)
def test_unequal_batches_give_the_full_batch_gradient():
    torch.manual_seed(0)
    weight, a, b = torch.randn(8, 8), torch.randn(8, 8), torch.randn(8, 8)
    w = weight.clone().requires_grad_(True)
    symmetric_infonce(a @ w, b, torch.tensor(5.0), gather=False).backward()
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), weight, a, b, out), nprocs=2, join=True)
    assert out['gathered0'] == ([0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0], 0)
    assert out['gathered1'] == ([0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0], 5)
    for rank in (0, 1):
        assert torch.allclose(out[rank], w.grad, atol=1e-6), rank
