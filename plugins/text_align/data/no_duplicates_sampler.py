"""A batch sampler that never puts the same text twice in one batch (in-batch negatives would contain positives)."""
from typing import Iterator, List

from torch.utils.data import Sampler

from ..registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class NoDuplicatesBatchSampler(Sampler):
    """Draws indices from ``sampler`` and fills each batch with rows none of whose texts is already in it; a row that
    clashes waits for a later batch (as sentence-transformers' ``BatchSamplers.NO_DUPLICATES``).

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
        self.dataset = dataset

    def __iter__(self) -> Iterator[List[int]]:
        waiting: List[int] = []  # drawn rows not placed yet, oldest first
        batch: List[int] = []
        seen = set()
        for index in self.sampler:
            waiting.append(index)
            for candidate in list(waiting):
                texts = self.dataset.texts(candidate)
                if seen.intersection(texts):
                    continue
                waiting.remove(candidate)
                batch.append(candidate)
                seen.update(texts)
                if len(batch) == self.batch_size:
                    yield batch
                    batch, seen = [], set()
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        size = len(self.sampler)
        return size // self.batch_size if self.drop_last else -(-size // self.batch_size)
