"""A FIFO queue of key features for MoCo-style contrastive learning (negatives beyond the batch)."""
import torch
from torch import nn

from .distributed import rank_and_world_size


class FeatureQueue(nn.Module):
    """``size`` key vectors kept as a buffer (saved in checkpoints); new keys, gathered from all processes, replace
    the oldest ones.

    Args:
        dim: feature width.
        size: number of keys kept (Contriever: 131072).
    """

    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        if size <= 0:
            raise ValueError(f'FeatureQueue: size must be positive, got {size}')
        self.register_buffer('features', nn.functional.normalize(torch.randn(size, dim), dim=1))
        self.register_buffer('pointer', torch.zeros((), dtype=torch.long))
        self.register_buffer('filled', torch.zeros((), dtype=torch.long))

    @property
    def size(self) -> int:
        return self.features.shape[0]

    def valid(self) -> torch.Tensor:
        """(n, dim) the keys enqueued so far (at most ``size``); the random initial rows are never returned."""
        return self.features[:int(self.filled)]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Args:
            keys: (B, dim) keys of this process; under DDP the keys of every process are enqueued, in rank order.
        """
        _, world = rank_and_world_size()
        if world > 1:
            gathered = [torch.empty_like(keys) for _ in range(world)]
            torch.distributed.all_gather(gathered, keys.contiguous())
            keys = torch.cat(gathered)
        keys = keys.detach().to(self.features.dtype)[-self.size:]
        n, start = keys.shape[0], int(self.pointer)
        index = (torch.arange(n, device=keys.device) + start) % self.size
        self.features[index] = keys
        self.pointer.fill_((start + n) % self.size)
        self.filled.fill_(min(self.size, int(self.filled) + n))
