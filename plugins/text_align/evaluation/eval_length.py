"""Evaluation length: texts are embedded for evaluation up to their own limit, not the (shorter) training length."""
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

import numpy as np


def evaluation_max_length(encoder, max_length: Optional[int] = None) -> int:
    """The length (tokens) that evaluation embeds texts at.

    Args:
        encoder: a ``TextEncoder``.
        max_length: the setting; None means the model's limit (its number of positions).

    Returns:
        The length.
    """
    limit = int(encoder.position_limit)
    if max_length is None:
        return limit
    if not 0 < max_length <= limit:
        raise ValueError(f'evaluation max_length must be in [1, {limit}] (the positions of {encoder.model_path}), '
                         f'got {max_length}')
    return int(max_length)


@contextmanager
def evaluation_length(encoder, max_length: Optional[int] = None) -> Iterator[int]:
    """Within the block, ``encoder`` truncates at :func:`evaluation_max_length` instead of its training length.

    Args:
        encoder: a ``TextEncoder``.
        max_length: the evaluation length setting (None: the model's limit).

    Yields:
        The length in use.
    """
    training_length = encoder.max_length
    encoder.max_length = evaluation_max_length(encoder, max_length)
    try:
        yield encoder.max_length
    finally:
        encoder.max_length = training_length


def encode_for_evaluation(encoder, texts: Sequence[str], max_length: Optional[int] = None,
                          batch_size: int = 32) -> np.ndarray:
    """L2-normalised embeddings of ``texts`` at the evaluation length.

    Args:
        encoder: a ``TextEncoder``.
        texts: the texts.
        max_length: the evaluation length setting (None: the model's limit).
        batch_size: texts per forward pass.

    Returns:
        (N, D) float32 array.
    """
    with evaluation_length(encoder, max_length):
        return encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True)


def token_lengths(encoder, texts: Sequence[str]) -> np.ndarray:
    """Untruncated token counts of ``texts`` (special tokens included), to show what an evaluation length keeps."""
    return np.array([len(ids) for ids in encoder.tokenizer(list(texts), verbose=False)['input_ids']])
