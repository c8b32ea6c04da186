"""The Lee et al. (2005) document-similarity score of a text encoder: cosine of 50 news documents vs human ratings."""
from typing import Dict, Optional

import numpy as np

from ..data.shipped_corpora import gensim_test_data
from .eval_length import encode_for_evaluation, evaluation_max_length, token_lengths
from .sts import sts_correlations


def lee_documents() -> list:
    """The 50 documents of gensim's ``lee.cor``, in the order of the rating matrix."""
    with open(gensim_test_data('lee.cor'), encoding='utf-8', errors='replace') as f:
        return [line.strip() for line in f if line.strip()]


def lee_similarity(encoder, max_length: Optional[int] = None, batch_size: int = 16) -> Dict[str, float]:
    """Spearman / Pearson (x100) of the embeddings' cosines against the human ratings of the 1225 document pairs.

    Args:
        encoder: a ``TextEncoder``.
        max_length: evaluation length (None: the model's limit, so no document is cut).
        batch_size: documents per forward pass.

    Returns:
        ``spearman``, ``pearson``, ``max_length`` (used) and ``truncated`` (documents longer than it).
    """
    documents = lee_documents()
    ratings = np.loadtxt(gensim_test_data('similarities0-1.txt'))
    if ratings.shape != (len(documents), len(documents)):
        raise ValueError(f'Lee corpus: {len(documents)} documents but a {ratings.shape} rating matrix')
    length = evaluation_max_length(encoder, max_length)
    embeddings = encode_for_evaluation(encoder, documents, length, batch_size)
    upper = np.triu_indices(len(documents), k=1)
    result = sts_correlations((embeddings @ embeddings.T)[upper], ratings[upper])
    result.update(max_length=length, truncated=int((token_lengths(encoder, documents) > length).sum()))
    return result
