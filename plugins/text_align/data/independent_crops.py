"""Contriever's positive pairs: two independent random crops of one document, with random token deletion."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.registry import FUNCTIONS

from .collate import _tokenizer


def random_crop(ids: Sequence[int], rng: np.random.Generator, ratio_min: float, ratio_max: float,
                deletion: float) -> List[int]:
    """A contiguous span of ``ids`` of ``int(len(ids) * r)`` tokens, r uniform in [ratio_min, ratio_max] (Contriever's
    ``randomcrop``; here at least one token), then each token dropped with probability ``deletion`` (at least one
    kept)."""
    n = len(ids)
    length = max(1, int(n * rng.uniform(ratio_min, ratio_max)))
    start = int(rng.integers(0, n - length + 1))
    span = list(ids[start:start + length])
    if deletion > 0:
        kept = [t for t in span if rng.random() >= deletion]
        span = kept or span[:1]
    return span


@FUNCTIONS.register_module()
def independent_crops_collate(data_batch: Sequence[dict], model_path: str, column: str = 'text',
                              chunk_length: int = 256, ratio_min: float = 0.05, ratio_max: float = 0.5,
                              deletion: float = 0.1, seed: int = -1) -> dict:
    """Cut two independent crops from each chunk (Contriever's ``randomcrop`` with token deletion); the tokenizer's
    start/end tokens (``[CLS]``/``[SEP]``, or BOS/EOS) are added around each crop and the batch is right-padded.

    A row with ``input_ids`` (from :class:`TokenChunkCorpus`, as upstream: full chunks of one token stream) is the
    chunk itself; otherwise its ``column`` text is tokenised and a random window of ``chunk_length`` tokens of it is
    the chunk (short documents give short chunks).

    Args:
        data_batch: rows with a ``column`` of text.
        model_path: tokenizer folder or ``shipped:<name>``.
        column: the text field (rows without ``input_ids``).
        chunk_length: tokens of the window taken from a text row (256).
        ratio_min: shortest crop as a fraction of the chunk (0.05 in the released script).
        ratio_max: longest crop (0.5).
        deletion: per-token deletion probability (0.1).
        seed: fixed seed for reproducible tests; -1 draws from numpy's global state (seeded per worker by mmengine).

    Returns:
        ``dict(inputs=dict(query=tokens, key=tokens), data_samples=rows)``.
    """
    tokenizer = _tokenizer(model_path)
    rng = np.random.default_rng(np.random.randint(2**31) if seed < 0 else seed)
    queries, keys = [], []
    for row in data_batch:
        if 'input_ids' in row:
            chunk = list(row['input_ids'])
        else:
            ids = tokenizer(str(row[column]), add_special_tokens=False, verbose=False)['input_ids']
            ids = ids or [tokenizer.unk_token_id]
            start = int(rng.integers(0, max(1, len(ids) - chunk_length + 1)))
            chunk = ids[start:start + chunk_length]
        queries.append(random_crop(chunk, rng, ratio_min, ratio_max, deletion))
        keys.append(random_crop(chunk, rng, ratio_min, ratio_max, deletion))

    first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id

    def pack(crops: List[List[int]]) -> Dict[str, torch.Tensor]:
        rows = [[t for t in (first, ) if t is not None] + c + [t for t in (last, ) if t is not None] for c in crops]
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id or 0
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        attention_mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        return dict(input_ids=input_ids, attention_mask=attention_mask)

    return dict(inputs=dict(query=pack(queries), key=pack(keys)), data_samples=[dict(r) for r in data_batch])
