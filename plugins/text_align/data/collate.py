"""A collate function that tokenises in the dataloader workers, with dynamic padding per text column."""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.registry import FUNCTIONS


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
        max_length: truncation length.
        repeat_first: feed the first column this many times (SimCSE's unsupervised views share a tokenisation).
        numeric_columns: columns stacked as float tensors (e.g. STS ``score``).

    Returns:
        ``dict(inputs={column: {input_ids, attention_mask, ...}}, data_samples=rows)``.
    """
    tokenizer = _tokenizer(model_path)
    inputs: Dict[str, Dict[str, torch.Tensor]] = {}
    for column in columns:
        texts = [str(row[column]) for row in data_batch]
        inputs[column] = dict(tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                                        return_tensors='pt'))
    samples: List[dict] = [dict(row) for row in data_batch]
    for column in numeric_columns or ():
        for sample in samples:
            sample[column] = float(sample[column])
    return dict(inputs=inputs, data_samples=samples)
