"""Streaming image-text dataset over webdataset tar shards (the img2dataset / DataComp layout)."""
import logging
from itertools import count
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import Compose
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from torch.utils.data import IterableDataset, get_worker_info

from ...registry import DATASETS
from .shard_list import expand_shards, pass_order, slot_shards
from .shard_sample import CorruptSampleError, decode_sample


def _buffer_shuffle(stream: Iterator[dict], size: int, rng: np.random.Generator) -> Iterator[dict]:
    """Shuffle a stream through a buffer of ``size`` items (deterministic for a given ``rng``)."""
    buffer: List[dict] = []
    for item in stream:
        if len(buffer) < size:
            buffer.append(item)
            continue
        i = int(rng.integers(size))
        yield buffer[i]
        buffer[i] = item
    for i in rng.permutation(len(buffer)):
        yield buffer[i]


def _transform_name(transform) -> str:
    """Class name of a transform or of a transform config (``'mmcv.LoadImageFromFile'`` -> ``'LoadImageFromFile'``)."""
    if isinstance(transform, dict):
        name = transform.get('type', '')
        return name.split('.')[-1] if isinstance(name, str) else getattr(name, '__name__', '')
    return type(transform).__name__


@DATASETS.register_module()
class CaptionShardDataset(IterableDataset):
    """Image-caption samples streamed from tar shards, split over ranks and dataloader workers by shard.

    Each tar holds ``{key}.jpg`` (or another image extension) + ``{key}.txt`` [+ ``{key}.json``] per sample, as
    img2dataset and DataComp write them; a ``"captions"`` list in the ``.json`` replaces the ``.txt`` caption, for
    images with several captions. Items carry ``img`` already decoded (uint8 BGR, as mmcv's ``LoadImageFromFile``
    gives), ``img_path`` (``<shard>/<key>.<ext>``), ``img_id`` (the key) and ``captions``; the pipeline starts after
    image loading.

    Reader ``rank * num_workers + worker`` reads every ``world_size * num_workers``-th shard of a pass, so no sample is
    read twice and together the readers read every sample. Samples whose image or caption is missing or does not
    decode, and shards that cannot be read, are skipped, counted (``num_corrupt``, ``num_shard_errors``, per reader)
    and logged as warnings.

    Args:
        shards: a brace pattern (``'{00000..00099}.tar'``, several joined by ``'::'``), a ``.txt`` list file, or a list.
        data_root: folder that relative shard paths and the list file are relative to.
        pipeline: transforms applied to each item (without ``LoadImageFromFile``).
        image_exts: image extensions looked for in a sample, in order of preference.
        repeat: stream pass after pass without end (for iteration-based training: no rank ever runs out); otherwise
            stop after one pass.
        shuffle_shards: permute the shards in every pass by ``(seed, pass)``, the same permutation on every rank.
        shuffle_buffer: shuffle samples through a buffer of this many samples (0: keep the tar order), seeded by
            ``(seed, pass, reader)``.
        seed: seed of both shuffles; must be equal on all ranks.
        skip_samples: samples this rank has already consumed (iterations x per-rank batch size): on resume they are
            skipped without running the pipeline, and the stream continues batch for batch as the interrupted run
            would have (worker roles are rotated, since a new dataloader starts with worker 0). Corrupt samples do
            not count.
        batch_size: the per-rank batch size of the dataloader; with several workers, which worker delivered which
            batch (round-robin) is needed to split ``skip_samples`` over workers.
        num_samples: nominal number of samples of one pass over all ranks; only for ``len()`` (logging, epoch
            lengths), the stream itself is not cut.
        epoch: index of the first pass (``set_epoch`` changes it).
    """

    def __init__(self, shards: Union[str, Sequence[str]], data_root: str = '', pipeline: Sequence = (),
                 image_exts: Sequence[str] = ('jpg', 'jpeg', 'png', 'webp'), repeat: bool = False,
                 shuffle_shards: bool = True, shuffle_buffer: int = 0, seed: int = 0, skip_samples: int = 0,
                 batch_size: int = 1, num_samples: Optional[int] = None, epoch: int = 0) -> None:
        try:
            import webdataset  # noqa: F401
        except ImportError as exc:
            raise ImportError('CaptionShardDataset needs the webdataset package: pip install webdataset') from exc
        if any(_transform_name(t) == 'LoadImageFromFile' for t in pipeline):
            raise ValueError('CaptionShardDataset decodes the images itself: remove LoadImageFromFile from its '
                             'pipeline')
        if skip_samples < 0 or batch_size < 1:
            raise ValueError(f'skip_samples must be >= 0 and batch_size >= 1, got {skip_samples} and {batch_size}')
        self.shards = expand_shards(shards, data_root)
        self.pipeline = Compose(list(pipeline))
        self.image_exts = tuple(image_exts)
        self.repeat = repeat
        self.shuffle_shards = shuffle_shards
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.skip_samples = skip_samples
        self.batch_size = batch_size
        self.num_samples = num_samples
        self.epoch = epoch
        self.num_corrupt = 0
        self.num_shard_errors = 0

    @property
    def metainfo(self) -> dict:
        """Dataset meta information (none), as mmengine's loops ask every dataset for it."""
        return {}

    def set_epoch(self, epoch: int) -> None:
        """Start at pass ``epoch`` (shard and sample order depend on it)."""
        self.epoch = epoch

    def __len__(self) -> int:
        """Nominal per-rank length of one pass (``num_samples / world_size``)."""
        if self.num_samples is None:
            raise TypeError('CaptionShardDataset has no length: set num_samples (samples in one pass) where a '
                            'length is needed, e.g. for an epoch-based loop')
        return self.num_samples // get_dist_info()[1]

    def worker_skip(self, worker: int, num_workers: int) -> int:
        """How many of ``skip_samples`` one worker delivered, given the dataloader's round-robin over workers.

        Args:
            worker: worker index.
            num_workers: number of dataloader workers (1 when loading in the main process).

        Returns:
            The number of valid samples this worker skips.
        """
        if num_workers == 1:
            return self.skip_samples
        if self.skip_samples % self.batch_size:
            raise ValueError(f'skip_samples={self.skip_samples} is not a whole number of batches of '
                             f'batch_size={self.batch_size}; with {num_workers} workers it cannot be split')
        batches = self.skip_samples // self.batch_size
        return len(range(worker, batches, num_workers)) * self.batch_size

    def _on_shard_error(self, exc: Exception) -> bool:
        """webdataset's error handler: count, log, and go on with the next file or shard."""
        self.num_shard_errors += 1
        print_log(f'CaptionShardDataset: skipped an unreadable part of a shard ({self.num_shard_errors} on this '
                  f'reader so far): {exc!r}', logger='current', level=logging.WARNING)
        return True

    def _raw_samples(self, shards: List[str]) -> Iterator[dict]:
        from webdataset.tariterators import tarfile_samples
        return tarfile_samples([dict(url=url) for url in shards], handler=self._on_shard_error)

    def iter_slot(self, rank: int, world_size: int, worker: int, num_workers: int) -> Iterator[dict]:
        """The items of one reader.

        Args:
            rank: process rank.
            world_size: number of processes.
            worker: dataloader worker index.
            num_workers: dataloader workers per process (1 without workers).

        Yields:
            Pipeline outputs of this reader's samples.

        Raises:
            RuntimeError: a whole pass of this reader held no usable sample.
        """
        if num_workers > 1 and self.skip_samples:
            # A restarted dataloader asks worker 0 first; the worker due next in the interrupted run takes its place.
            worker = (worker + self.skip_samples // self.batch_size) % num_workers
        slot, num_slots = rank * num_workers + worker, world_size * num_workers
        to_skip = self.worker_skip(worker, num_workers)
        for pass_index in (count(self.epoch) if self.repeat else [self.epoch]):
            shards = slot_shards(pass_order(self.shards, self.seed, pass_index, self.shuffle_shards), slot, num_slots)
            stream = self._raw_samples(shards)
            if self.shuffle_buffer > 1:
                stream = _buffer_shuffle(stream, self.shuffle_buffer, np.random.default_rng([self.seed, pass_index,
                                                                                             slot]))
            valid = 0
            for raw in stream:
                try:
                    info = decode_sample(raw, self.image_exts)
                except CorruptSampleError as exc:
                    self.num_corrupt += 1
                    print_log(f'CaptionShardDataset: skipped a corrupt sample ({self.num_corrupt} on this reader so '
                              f'far): {exc}', logger='current', level=logging.WARNING)
                    continue
                valid += 1
                if to_skip:
                    to_skip -= 1
                    continue
                item = self.pipeline(info)
                if item is not None:  # a filtering transform may drop an item
                    yield item
            if not valid:
                raise RuntimeError(f'reader {slot} of {num_slots} found no usable sample in its shards {shards}')

    def __iter__(self) -> Iterator[dict]:
        rank, world_size = get_dist_info()
        info = get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        return self.iter_slot(rank, world_size, worker, num_workers)
