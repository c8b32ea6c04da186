"""Gathering rows from every process when processes hold different numbers of rows (last batch, uneven shards)."""
from typing import List, Tuple

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_fn

from .distributed import rank_and_world_size


def gather_row_counts(rows: int, device: torch.device) -> List[int]:
    """Number of rows each process holds, in rank order.

    Args:
        rows: this process's row count.
        device: device of the communication tensor (the feature device; gloo and nccl both accept it).

    Returns:
        One count per process; ``[rows]`` when not distributed.
    """
    _, world = rank_and_world_size()
    if world == 1:
        return [rows]
    counts = [torch.zeros(1, dtype=torch.long, device=device) for _ in range(world)]
    dist.all_gather(counts, torch.tensor([rows], dtype=torch.long, device=device))
    return [int(c.item()) for c in counts]


def gather_uneven_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Concatenate ``x`` from every process along dim 0, keeping the autograd graph, for any per-process row count.

    The counts are exchanged first; each process pads its rows to the largest count, the padded tensors are
    gathered with gradients, and the padding is cut away again, so no padded row ever reaches a loss.

    Args:
        x: (B_r, ...) local tensor; B_r may differ between processes, the other dimensions may not.

    Returns:
        ``(all_rows, offset)``: the (sum B_r, ...) tensor in rank order, and the index of this process's first row
        in it; ``(x, 0)`` when not distributed.
    """
    rank, world = rank_and_world_size()
    if world == 1:
        return x, 0
    counts = gather_row_counts(x.shape[0], x.device)
    most = max(counts)
    padded = x if x.shape[0] == most else torch.cat([x, x.new_zeros((most - x.shape[0], ) + x.shape[1:])])
    parts = dist_fn.all_gather(padded)
    return torch.cat([part[:count] for part, count in zip(parts, counts)]), sum(counts[:rank])
