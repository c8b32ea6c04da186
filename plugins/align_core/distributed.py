"""Gathering features across processes with gradients, for contrastive losses under DDP."""
from typing import Tuple

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_fn


def rank_and_world_size() -> Tuple[int, int]:
    """This process's rank and the number of processes (0, 1 when not distributed).

    Returns:
        ``(rank, world_size)``.
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from every process along dim 0, keeping the autograd graph.

    The backward pass sends each process the gradient of its own rows summed over all processes, so a loss computed
    from local rows against gathered columns, averaged by DDP over processes, has the gradient of the full-batch loss.

    Args:
        x: (B, ...) local tensor; every process must pass the same shape.

    Returns:
        (world_size * B, ...) tensor, rows of rank r at ``[r * B, (r + 1) * B)``; ``x`` itself when not distributed.
    """
    _, world = rank_and_world_size()
    if world == 1:
        return x
    return torch.cat(dist_fn.all_gather(x), dim=0)
