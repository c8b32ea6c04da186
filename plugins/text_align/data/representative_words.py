"""B-PROP's representative word sets (Albert-Ma/PROP ``bprop/``): a document term distribution from [CLS]->token
attention, its divergence from the collection ("random") distribution, and pairs of sampled word sets of which the
higher-scoring one is the positive."""
import math
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np


def saturate(word_attention: Dict[str, float], k: float = 0.01) -> Dict[str, float]:
    """Per-word attention sums saturated as ``v / (v + k)`` (the released default saturation 'k')."""
    return {w: v / (v + k) for w, v in word_attention.items()}


def collection_distribution(documents: Iterable[Dict[str, float]]) -> Dict[str, float]:
    """The "random" term distribution: each word's saturated weight summed over documents, divided by the number of
    documents, then normalised to sum to 1."""
    total, n = Counter(), 0
    for doc in documents:
        total.update(doc)
        n += 1
    if not n:
        raise ValueError('collection_distribution: no documents')
    mean = {w: v / n for w, v in total.items()}
    norm = sum(mean.values())
    return {w: v / norm for w, v in mean.items()}


def dfr_scores(document: Dict[str, float], collection: Dict[str, float], cap: float = 100.0) -> Dict[str, float]:
    """Divergence from randomness of each alphabetic word of a document: ``min(p_doc(w) * -log2 p_rand(w), cap)``
    with ``p_doc`` the document's saturated weights normalised to sum to 1 (non-alphabetic words dropped).

    Args:
        document: saturated per-word weights of one document.
        collection: :func:`collection_distribution` (a word missing from it gets p_rand = 2, as released).
        cap: upper bound (100).

    Returns:
        ``{word: score}``.
    """
    total = sum(document.values())
    if total <= 0:
        return {}
    return {w: min(a / total * -math.log2(collection.get(w, 2.0)), cap) for w, a in document.items() if w.isalpha()}


def poisson_lengths(count: int, lam: float = 3.0, rng: np.random.Generator = None) -> List[int]:
    """``count`` word-set lengths drawn from Poisson(``lam``), a zero redrawn (a zero-truncated Poisson)."""
    rng = rng or np.random.default_rng()
    lengths = []
    while len(lengths) < count:
        value = int(rng.poisson(lam))
        if value > 0:
            lengths.append(value)
    return lengths


def word_set_pairs(scores: Dict[str, float], num_pairs: int = 10, lam: float = 3.0, temperature: float = 1.0,
                   rng: np.random.Generator = None) -> List[Tuple[List[str], List[str]]]:
    """Pairs of word sets sampled from ``softmax(scores / T)``; both sets of a pair have one Poisson length; the set
    with the higher summed score is first (the positive). Words are drawn without replacement unless the document has
    no more words than the length (as released).

    Args:
        scores: :func:`dfr_scores` of one document.
        num_pairs: pairs per document (released run: 10).
        lam: Poisson mean (3).
        temperature: softmax temperature (1 for the 'entropy' method).
        rng: numpy generator.

    Returns:
        ``[(positive words, negative words)]``.
    """
    rng = rng or np.random.default_rng()
    words = list(scores)
    if not words:
        return []
    values = np.array([scores[w] for w in words], dtype=np.float64) / temperature
    prob = np.exp(values - values.max())
    prob /= prob.sum()
    pairs = []
    for length in poisson_lengths(num_pairs, lam, rng):
        sets = [list(rng.choice(words, size=length, p=prob, replace=len(words) <= length)) for _ in range(2)]
        sets.sort(key=lambda s: -sum(scores[w] for w in s))  # stable: ties keep the draw order
        pairs.append((sets[0], sets[1]))
    return pairs


def word_attention_from_tokens(words: Sequence[str], word_ids: Sequence[int], attention: Sequence[float],
                               lowercase: bool = True) -> Dict[str, float]:
    """Sum a [CLS]->token attention row over each word's word pieces and over the word's occurrences.

    Args:
        words: whitespace words of the document.
        word_ids: per token, the index of its word (None for special tokens), as a fast tokenizer's ``word_ids()``.
        attention: per token, the [CLS] row of the head-averaged last-layer attention.
        lowercase: key the words lower-cased.

    Returns:
        ``{word: summed attention}`` (before saturation).
    """
    sums: Dict[str, float] = {}
    for word_id, value in zip(word_ids, attention):
        if word_id is None:
            continue
        word = words[word_id].lower() if lowercase else words[word_id]
        sums[word] = sums.get(word, 0.0) + float(value)
    return sums

