"""Embedding banks computed once, cached on disk as ``.npy`` and read back memory-mapped (uCLIP's 2M-image and
2M-multilingual-text banks; ``embedding/store_*_embedding.py`` of dinyudin203/uCLIP store them with ``torch.save``)."""
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F


def fingerprint(items: Sequence[str], extra: str = '') -> str:
    """A short hash of the bank's sources (paths or texts) and settings, stored next to the cache.

    Args:
        items: the bank's sources, in order.
        extra: anything else the embeddings depend on (encoder name, weights file...).

    Returns:
        A hex digest.
    """
    digest = hashlib.sha1(extra.encode())
    for item in items:
        digest.update(b'\0' + item.encode())
    return digest.hexdigest()[:16]


def build_bank(path: str, items: Sequence[str], encode: Callable[[Sequence[str]], torch.Tensor],
               batch_size: int = 256, extra: str = '') -> np.ndarray:
    """Encode ``items`` into a unit-norm float32 ``.npy`` bank at ``path`` unless a cache with the same fingerprint
    is there; either way return it memory-mapped (read-only).

    Args:
        path: the ``.npy`` file (a ``.json`` with its fingerprint goes next to it).
        items: what to encode (image paths or texts).
        encode: maps a list of items to (n, D) embeddings (no gradient needed).
        batch_size: items per encoder call.
        extra: see :func:`fingerprint`.

    Returns:
        The (len(items), D) bank, memory-mapped.
    """
    if not items:
        raise ValueError(f'build_bank: no items to encode into {path}')
    meta_path = osp.splitext(path)[0] + '.json'
    key = fingerprint(items, extra)
    if osp.isfile(path) and osp.isfile(meta_path):
        with open(meta_path) as f:
            if json.load(f).get('fingerprint') == key:
                return np.load(path, mmap_mode='r')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    out = None
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            emb = F.normalize(encode(list(items[start:start + batch_size])).float(), dim=-1).cpu().numpy()
            if out is None:
                out = np.lib.format.open_memmap(path + '.tmp.npy', mode='w+', dtype=np.float32,
                                                shape=(len(items), emb.shape[1]))
            out[start:start + len(emb)] = emb
    out.flush()
    del out
    os.replace(path + '.tmp.npy', path)
    with open(meta_path, 'w') as f:
        json.dump(dict(fingerprint=key, count=len(items)), f)
    return np.load(path, mmap_mode='r')


def check_width(bank: np.ndarray, width: int, bank_name: str, encoder_name: str) -> None:
    """Raise if a bank's width differs from its encoder's.

    Args:
        bank: (M, D) bank.
        width: the encoder's output width.
        bank_name: what the bank is (for the message).
        encoder_name: which encoder fills it (for the message).
    """
    if bank.ndim != 2 or bank.shape[1] != width:
        raise ValueError(f'uCLIP: the {bank_name} has width {bank.shape[-1]} but the {encoder_name} gives {width}; '
                         f'delete the cache to rebuild it')
