"""Splitting a large class set over processes (model-parallel classification heads)."""
from typing import Tuple


def class_shard_range(num_classes: int, rank: int, world: int) -> Tuple[int, int]:
    """The classes ``[start, end)`` that process ``rank`` holds when ``num_classes`` are split over ``world``.

    Shards may be uneven: the first ``num_classes % world`` processes hold one class more than the others.

    Args:
        num_classes: size of the whole class set.
        rank: this process's rank.
        world: number of processes.

    Returns:
        ``(start, end)`` global ids of this process's first class and one past its last.
    """
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f'class_shard_range: need 0 <= rank < world, got rank={rank}, world={world}')
    if num_classes < world:
        raise ValueError(f'class_shard_range: num_classes={num_classes} is smaller than the number of processes '
                         f'({world}); every process must hold at least one class')
    base, extra = divmod(num_classes, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)
