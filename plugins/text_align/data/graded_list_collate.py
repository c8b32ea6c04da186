"""Collate of graded lists: queries and the flattened passages tokenised, grades stacked."""
from typing import Sequence

import torch
from mmengine.registry import FUNCTIONS

from .collate import _tokenizer


@FUNCTIONS.register_module()
def graded_list_collate(data_batch: Sequence[dict], model_path: str, max_length: int = 256) -> dict:
    """Tokenise a batch of ``GradedListDataset`` rows.

    Args:
        data_batch: rows ``dict(query, passages=[G], grades=[G])`` (one G for the batch).
        model_path: tokenizer folder or ``shipped:<name>``.
        max_length: truncation length of queries and passages (SyCL: 256 both).

    Returns:
        ``dict(inputs=dict(query=tokens (B), passages=tokens (B*G, query 0's passages first), grades=(B, G) long),
        data_samples=rows)``.

    Raises:
        ValueError: rows with different group sizes (the row index is named).
    """
    sizes = [len(row['passages']) for row in data_batch]
    if len(set(sizes)) != 1:
        raise ValueError(f'graded_list_collate: every row needs the same number of passages; row '
                         f'{next(i for i, s in enumerate(sizes) if s != sizes[0])} has '
                         f'{next(s for s in sizes if s != sizes[0])}, row 0 has {sizes[0]}')
    tokenizer = _tokenizer(model_path)

    def tokens(texts):
        return dict(tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                              return_tensors='pt'))

    passages = [text for row in data_batch for text in row['passages']]
    grades = torch.tensor([list(row['grades']) for row in data_batch], dtype=torch.long)
    return dict(inputs=dict(query=tokens(row['query'] for row in data_batch), passages=tokens(passages),
                            grades=grades),
                data_samples=[dict(row) for row in data_batch])
