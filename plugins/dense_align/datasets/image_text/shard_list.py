"""Shard lists: expansion of brace patterns and list files, the per-pass order, and the split over ranks x workers."""
import os.path as osp
import re
from collections import Counter
from typing import List, Sequence, Union

import numpy as np

_SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')  # http:, s3:, pipe: ... (webdataset opens them itself)


def _braceexpand(pattern: str) -> List[str]:
    try:
        from braceexpand import braceexpand
    except ImportError as exc:  # installed with webdataset
        raise ImportError('shard patterns need the braceexpand package (pip install webdataset)') from exc
    return list(braceexpand(pattern))


def expand_shards(shards: Union[str, Sequence[str]], data_root: str = '') -> List[str]:
    """The shard URLs named by a pattern, a list file or a list.

    Args:
        shards: a brace pattern (``'shards/{00000..00099}.tar'``; several joined by ``'::'``), a ``.txt`` file with
            one shard (or pattern) per line, or a list of shards / patterns.
        data_root: folder that relative local paths (and the list file) are relative to.

    Returns:
        The shard URLs in the given order; local paths joined to ``data_root``, URLs with a scheme kept as they are.

    Raises:
        FileNotFoundError: a list file that does not exist.
        ValueError: nothing to read, or a shard named twice.
    """
    def resolve(path: str) -> str:
        return path if _SCHEME.match(path) or osp.isabs(path) else osp.join(data_root, path)

    if isinstance(shards, str) and shards.endswith('.txt'):
        list_file = resolve(shards)
        if not osp.isfile(list_file):
            raise FileNotFoundError(f'shard list file {list_file} does not exist')
        with open(list_file, encoding='utf-8') as f:
            patterns = [line.strip() for line in f if line.strip() and not line.lstrip().startswith('#')]
        source = f'shard list file {list_file}'
    else:
        patterns = shards.split('::') if isinstance(shards, str) else list(shards)
        source = f'shards={shards!r}'
    urls = [resolve(url) for pattern in patterns for url in _braceexpand(pattern)]
    if not urls:
        raise ValueError(f'{source} names no shard')
    repeated = sorted(url for url, count in Counter(urls).items() if count > 1)
    if repeated:
        raise ValueError(f'{source} names these shards more than once: {repeated[:5]}')
    return urls


def pass_order(shards: Sequence[str], seed: int, pass_index: int, shuffle: bool) -> List[str]:
    """The shard order of one pass over the data, the same on every rank and worker.

    Args:
        shards: all shard URLs.
        seed: shuffling seed (must be equal on all ranks).
        pass_index: 0 for the first pass over the data, 1 for the second...
        shuffle: permute the shards (by ``(seed, pass_index)``), or keep the given order.

    Returns:
        The shards of this pass.
    """
    if not shuffle:
        return list(shards)
    order = np.random.default_rng([seed, pass_index]).permutation(len(shards))
    return [shards[i] for i in order]


def slot_shards(shards: Sequence[str], slot: int, num_slots: int) -> List[str]:
    """The shards read by one (rank, worker) slot: every ``num_slots``-th shard starting at ``slot``.

    Slots are numbered ``rank * num_workers + worker``, so the slots of all ranks and workers read disjoint shard
    sets that together cover every shard.

    Args:
        shards: the shards of this pass, in the same order on every slot.
        slot: this slot's index in ``[0, num_slots)``.
        num_slots: ``world_size * num_workers``.

    Returns:
        This slot's shards.

    Raises:
        ValueError: fewer shards than slots (some workers would read nothing and ranks would get unequal data).
    """
    if not 0 <= slot < num_slots:
        raise ValueError(f'slot {slot} is outside [0, {num_slots})')
    if len(shards) < num_slots:
        raise ValueError(f'{len(shards)} shards cannot be split over {num_slots} readers (ranks x dataloader '
                         f'workers); use at most {len(shards)} readers or write more, smaller shards')
    return list(shards[slot::num_slots])
