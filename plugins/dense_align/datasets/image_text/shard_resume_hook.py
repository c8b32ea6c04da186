"""Resume a shard stream by sample count instead of mmengine's replay of every trained batch."""
import logging
from typing import Iterator, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner.loops import _InfiniteDataloaderIterator

from ...registry import HOOKS
from .caption_shard_dataset import CaptionShardDataset


class _SkipReplay:
    """Answers the first ``count`` ``next()`` calls (mmengine's replay of trained batches) with ``None``, without
    loading anything, and then passes through to ``iterator``."""

    def __init__(self, iterator: Iterator, count: int) -> None:
        self.iterator = iterator
        self.count = count

    def __iter__(self) -> '_SkipReplay':
        return self

    def __next__(self) -> Optional[object]:
        if self.count > 0:
            self.count -= 1
            return None
        return next(self.iterator)


@HOOKS.register_module()
class ShardResumeHook(Hook):
    """On resume of an ``IterBasedTrainLoop`` over a :class:`CaptionShardDataset`, skip the trained samples inside the
    dataset (``skip_samples = iter x batch_size``: skipped samples are decoded, to tell corrupt ones, but not run
    through the pipeline) instead of letting mmengine run ``iter`` batches through the whole pipeline and the collate
    function only to discard them.

    The dataloader is restarted with the new skip count (persistent workers included), and mmengine's replay of
    ``iter`` batches is answered without loading data. Does nothing on a fresh start or for other datasets.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Set the dataset's skip count and restart the loop's dataloader iterator.

        Args:
            runner: the mmengine runner, after ``load_or_resume``.
        """
        loop = runner.train_loop
        dataloader = getattr(loop, 'dataloader', None)
        dataset = getattr(dataloader, 'dataset', None)
        if runner.iter == 0 or not isinstance(dataset, CaptionShardDataset) or \
                not hasattr(loop, 'dataloader_iterator'):
            return
        dataset.batch_size = dataloader.batch_size
        dataset.skip_samples = runner.iter * dataloader.batch_size
        dataloader._iterator = None  # a persistent-workers loader would otherwise reuse workers with the old copy
        loop.dataloader_iterator = _SkipReplay(_InfiniteDataloaderIterator(dataloader), runner.iter)
        print_log(f'ShardResumeHook: the shard stream skips the {dataset.skip_samples} samples of this rank trained '
                  f'in {runner.iter} iterations', logger='current', level=logging.INFO)
