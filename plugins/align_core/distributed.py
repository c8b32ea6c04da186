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

    Raises:
        ValueError: on every process, when the processes hold different numbers of rows (a smaller last batch):
            the labels ``rank * B + i`` would be wrong. ``align_core.uneven_gather`` handles that case.
    """
    from .uneven_gather import gather_row_counts  # (that module builds on this one)
    _, world = rank_and_world_size()
    if world == 1:
        return x
    counts = gather_row_counts(x.shape[0], x.device)
    if len(set(counts)) > 1:
        raise ValueError(f'gather_with_grad: the processes hold different numbers of rows {counts} (a smaller last '
                         f'batch?); set drop_last=True in the train dataloader, or gather with '
                         f'align_core.uneven_gather.gather_uneven_with_grad')
    return torch.cat(dist_fn.all_gather(x), dim=0)
