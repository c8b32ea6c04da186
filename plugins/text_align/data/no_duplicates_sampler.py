"""A batch sampler that never puts the same text twice in one batch (in-batch negatives would contain positives)."""
from typing import Iterator, List, Set

from torch.utils.data import Sampler

from ..registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class NoDuplicatesBatchSampler(Sampler):
    """Draws indices from ``sampler`` and fills each batch with rows none of whose texts is already in it; a row that
    clashes waits for a later batch (as sentence-transformers' ``BatchSamplers.NO_DUPLICATES``).

    A batch that can never be filled is an error, not an endless wait: at construction when the dataset has fewer
    distinct rows than ``batch_size``, and while iterating when every row has been drawn and none of those waiting
    fits the current batch.

    Args:
        sampler: an index sampler whose ``dataset`` has ``texts(index)`` (``TextPairDataset`` and subclasses).
        batch_size: rows per batch.
        drop_last: drop the last incomplete batch.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = True) -> None:
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None or not hasattr(dataset, 'texts'):
            raise TypeError('NoDuplicatesBatchSampler needs a sampler over a text dataset with texts(index)')
        if batch_size < 1:
            raise ValueError(f'NoDuplicatesBatchSampler: batch_size must be >= 1, got {batch_size}')
        self.dataset = dataset
        distinct = set()
        for index in range(len(dataset)):
            distinct.add(tuple(dataset.texts(index)))
            if len(distinct) >= batch_size:
                break
        if len(distinct) < batch_size:
            raise ValueError(self._never_filled(f'only {len(distinct)} distinct row(s)'))

    def _never_filled(self, why: str) -> str:
        return (f'NoDuplicatesBatchSampler: the dataset has {len(self.dataset)} rows and {why}, so a batch of '
                f'batch_size={self.batch_size} rows without a repeated text can never be filled; lower the batch size '
                'or add distinct rows')

    def __iter__(self) -> Iterator[List[int]]:
        waiting: List[int] = []  # drawn rows not placed yet, oldest first (each index once)
        waiting_set: Set[int] = set()
        drawn: Set[int] = set()  # distinct rows drawn since the last batch was yielded
        batch: List[int] = []
        seen = set()
        for index in self.sampler:
            drawn.add(index)
            if index not in waiting_set:
                waiting.append(index)
                waiting_set.add(index)
            placed = False
            for candidate in list(waiting):
                texts = self.dataset.texts(candidate)
                if seen.intersection(texts):
                    continue
                waiting.remove(candidate)
                waiting_set.discard(candidate)
                batch.append(candidate)
                seen.update(texts)
                placed = True
                if len(batch) == self.batch_size:
                    yield batch
                    batch, seen, drawn = [], set(), set()
            if not placed and batch and len(drawn) == len(self.dataset):
                raise ValueError(self._never_filled(
                    f'after every row was drawn only {len(batch)} fit together in the current batch'))
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        size = len(self.sampler)
        return size // self.batch_size if self.drop_last else -(-size // self.batch_size)
