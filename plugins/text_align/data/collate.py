"""A collate function that tokenises in the dataloader workers, with dynamic padding per text column."""
import logging
from functools import lru_cache
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS

_truncation_reported = False  # per process (each dataloader worker reports once)


@lru_cache(maxsize=4)
def _tokenizer(model_path: str):
    from transformers import AutoTokenizer

    from ..encoders import resolve_model_path
    return AutoTokenizer.from_pretrained(resolve_model_path(model_path), local_files_only=True)


@FUNCTIONS.register_module()
def tokenize_collate(data_batch: Sequence[dict], model_path: str, columns: Sequence[str] = ('anchor', 'positive'),
                     max_length: int = 128, repeat_first: int = 1,
                     numeric_columns: Optional[Sequence[str]] = None) -> dict:
    """Tokenise each text column of a batch, padded to its longest member (``collate_fn=dict(type=
    'tokenize_collate', model_path=..., columns=[...])``).

    Args:
        data_batch: dataset rows.
        model_path: folder of the tokenizer, or ``shipped:<name>`` (loaded once per worker).
        columns: text columns.
        max_length: truncation length; texts longer than it are truncated, and the first batch that truncates
            any reports how many (once per process).
        repeat_first: feed the first column this many times (SimCSE's unsupervised views share a tokenisation).
        numeric_columns: columns stacked as float tensors (e.g. STS ``score``).

    Returns:
        ``dict(inputs={column: {input_ids, attention_mask, ...}}, data_samples=rows)``.

    Raises:
        ValueError: a row lacks a column, or holds None or a non-string there (the row is named).
    """
    global _truncation_reported
    tokenizer = _tokenizer(model_path)
    inputs: Dict[str, Dict[str, torch.Tensor]] = {}
    for column in columns:
        texts = []
        for row in data_batch:
            text = row.get(column) if isinstance(row, dict) else None
            if not isinstance(text, str):
                found = 'no such field' if not isinstance(row, dict) or column not in row else repr(text)
                raise ValueError(f'tokenize_collate: column {column!r} of row {_describe(row)} must be a string, got '
                                 f'{found}')
            texts.append(text)
        encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors='pt',
                            return_overflowing_tokens=False)
        inputs[column] = dict(encoded)
        if not _truncation_reported and encoded['input_ids'].shape[1] == max_length:
            lengths = [len(ids) for ids in tokenizer(texts, verbose=False)['input_ids']]
            truncated = sum(length > max_length for length in lengths)
            if truncated:
                _truncation_reported = True
                print_log(f'tokenize_collate: {truncated} of {len(texts)} texts of column {column!r} in this batch '
                          f'exceed max_length={max_length} tokens (longest {max(lengths)}) and are truncated '
                          '(reported once)', logger='current', level=logging.WARNING)
    samples: List[dict] = [dict(row) for row in data_batch]
    for column in numeric_columns or ():
        for sample in samples:
            sample[column] = float(sample[column])
    return dict(inputs=inputs, data_samples=samples)


def _describe(row: object) -> str:
    """A short description of a dataset row for error messages (its ``sample_idx`` when it has one)."""
    if isinstance(row, dict) and 'sample_idx' in row:
        return f'sample_idx={row["sample_idx"]} {_shorten(row)}'
    return _shorten(row)


def _shorten(row: object) -> str:
    text = repr(row)
    return text if len(text) <= 200 else text[:197] + '...'
