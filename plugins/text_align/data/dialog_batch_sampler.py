"""SPACE-2's batch schedule: every step holds one batch of labelled turns and one batch of unlabelled turns."""
import math
from typing import Iterator, List

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from ..registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class SemiSupervisedBatchSampler(Sampler):
    """Batches of ``batch_size`` labelled rows followed by ``unlabelled_batch_size`` unlabelled rows.

    As the released trainer: an epoch is as many steps as the larger pool needs, and the smaller pool starts over
    (reshuffled) when it runs out. Each pool is shuffled with a seed shared by all processes and split between them
    (process r takes every world-th row), so the processes see different rows.

    Args:
        sampler: the config's index sampler; only its ``dataset`` (with ``labelled_indices`` /
            ``unlabelled_indices``, e.g. ``DialogTurnDataset``) and its ``seed`` are used.
        batch_size: labelled rows per step and process (SPACE-2: 128 in total over 8 GPUs).
        unlabelled_batch_size: unlabelled rows per step and process (0: labelled only).
        drop_last: unused (steps are always full); accepted for mmengine's dataloader builder.
    """

    def __init__(self, sampler: Sampler, batch_size: int, unlabelled_batch_size: int = 0,
                 drop_last: bool = True) -> None:
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None or not hasattr(dataset, 'labelled_indices'):
            raise TypeError('SemiSupervisedBatchSampler needs a sampler over a dataset with labelled_indices / '
                            'unlabelled_indices (e.g. DialogTurnDataset)')
        if batch_size < 0 or unlabelled_batch_size < 0 or batch_size + unlabelled_batch_size == 0:
            raise ValueError(f'SemiSupervisedBatchSampler: batch sizes must be >= 0 and not both 0, got '
                             f'{batch_size} labelled, {unlabelled_batch_size} unlabelled')
        self.sampler = sampler  # mmengine's DistSamplerSeedHook looks for it
        self.rank, self.world = get_dist_info()
        self.pools = [(np.array(dataset.labelled_indices), batch_size),
                      (np.array(dataset.unlabelled_indices), unlabelled_batch_size)]
        for (pool, size), kind in zip(self.pools, ('labelled', 'unlabelled')):
            if size and len(pool) < size * self.world:
                raise ValueError(f'SemiSupervisedBatchSampler: {getattr(dataset, "ann_file", "the dataset")} has '
                                 f'{len(pool)} {kind} rows, fewer than one {kind} batch of {size} per process '
                                 f'({self.world} processes)')
        seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

    def _stream(self, pool: np.ndarray, salt: int) -> Iterator[int]:
        """Endless rows of this process from one pool, reshuffled at every pass."""
        rounds = 0
        while True:
            order = np.random.default_rng([self.seed, self.epoch, salt, rounds]).permutation(pool)
            yield from order[self.rank::self.world].tolist()
            rounds += 1

    def __iter__(self) -> Iterator[List[int]]:
        streams = [self._stream(pool, salt) if size else iter(()) for salt, (pool, size) in enumerate(self.pools)]
        for _ in range(len(self)):
            yield [next(stream) for stream, (_, size) in zip(streams, self.pools) for _ in range(size)]
        self.epoch += 1

    def __len__(self) -> int:
        return max(math.ceil(len(pool) / self.world / size) for pool, size in self.pools if size)
