"""Collate of B-PROP rows: ``[CLS] word set [SEP] document [SEP]`` for the positive then the negative set of each
row, with BERT's MLM masking."""
from typing import Sequence

import torch
from mmengine.registry import FUNCTIONS

from .collate import _tokenizer


def mlm_mask(input_ids: torch.Tensor, special: torch.Tensor, tokenizer, probability: float = 0.15,
             generator: torch.Generator = None) -> tuple:
    """BERT masking: ``probability`` of the non-special tokens are predicted; of those 80% become [MASK], 10% a
    random token, 10% stay. Returns ``(masked input_ids, labels with -100 elsewhere)``."""
    labels = input_ids.clone()
    chosen = (torch.rand(input_ids.shape, generator=generator) < probability) & ~special
    labels[~chosen] = -100
    masked = input_ids.clone()
    replace = chosen & (torch.rand(input_ids.shape, generator=generator) < 0.8)
    masked[replace] = tokenizer.mask_token_id
    randomise = chosen & ~replace & (torch.rand(input_ids.shape, generator=generator) < 0.5)
    masked[randomise] = torch.randint(tokenizer.vocab_size, input_ids.shape, generator=generator)[randomise]
    return masked, labels


@FUNCTIONS.register_module()
def bprop_collate(data_batch: Sequence[dict], model_path: str, max_length: int = 512,
                  mlm_probability: float = 0.15) -> dict:
    """Tokenise ``RepresentativeWordPairs`` rows into 2B sequences (row i's positive at 2i, negative at 2i + 1).

    Args:
        data_batch: rows ``dict(document, positive, negative)``.
        model_path: tokenizer folder or ``shipped:<name>``.
        max_length: truncation of the pair (the document is truncated).
        mlm_probability: share of tokens predicted by MLM.

    Returns:
        ``dict(inputs=dict(pairs=tokens with masked input_ids, mlm_labels=(2B, T)), data_samples=rows)``.
    """
    tokenizer = _tokenizer(model_path)
    sets = [row[key] for row in data_batch for key in ('positive', 'negative')]
    docs = [row['document'] for row in data_batch for _ in range(2)]
    encoded = tokenizer(sets, docs, padding=True, truncation='only_second', max_length=max_length,
                        return_tensors='pt', return_special_tokens_mask=True)
    special = encoded.pop('special_tokens_mask').bool() | (encoded['attention_mask'] == 0)
    encoded['input_ids'], labels = mlm_mask(encoded['input_ids'], special, tokenizer, mlm_probability)
    return dict(inputs=dict(pairs=dict(encoded), mlm_labels=labels), data_samples=[dict(r) for r in data_batch])
