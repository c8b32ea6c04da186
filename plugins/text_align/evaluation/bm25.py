"""BM25 first-stage retrieval for re-ranking (Lucene's formula, Anserini's defaults k1 = 0.9, b = 0.4)."""
import math
import re
from collections import Counter
from typing import Dict, List, Mapping

_WORD = re.compile(r'[a-z0-9]+')


def bm25_tokens(text: str) -> List[str]:
    """Lower-cased alphanumeric runs (no stemming, no stop words)."""
    return _WORD.findall(text.lower())


def bm25_run(queries: Mapping[str, str], corpus: Mapping[str, str], top_k: int = 100, k1: float = 0.9,
             b: float = 0.4) -> Dict[str, Dict[str, float]]:
    """Score every document for every query with BM25 and keep the ``top_k`` best.

    ``score(q, d) = sum over query words w in d of idf(w) * tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl))`` with
    ``idf(w) = ln(1 + (N - df + 0.5) / (df + 0.5))`` (Lucene); a query word repeated counts once per occurrence.

    Args:
        queries: query id -> text.
        corpus: document id -> text.
        top_k: documents kept per query (ties by id, descending, as trec_eval orders).
        k1: term-frequency saturation.
        b: length normalisation.

    Returns:
        A run ``{query id: {doc id: score}}``; documents sharing no word with a query are not in its run.
    """
    if not corpus:
        raise ValueError('bm25_run: the corpus is empty')
    docs = {d: Counter(bm25_tokens(t)) for d, t in corpus.items()}
    lengths = {d: sum(c.values()) for d, c in docs.items()}
    avgdl = sum(lengths.values()) / len(docs) or 1.0
    postings: Dict[str, Dict[str, int]] = {}
    for d, counts in docs.items():
        for w, tf in counts.items():
            postings.setdefault(w, {})[d] = tf
    n = len(docs)
    run = {}
    for qid, text in queries.items():
        scores: Dict[str, float] = {}
        for w in bm25_tokens(text):
            hits = postings.get(w, {})
            idf = math.log(1 + (n - len(hits) + 0.5) / (len(hits) + 0.5))
            for d, tf in hits.items():
                norm = tf + k1 * (1 - b + b * lengths[d] / avgdl)
                scores[d] = scores.get(d, 0.0) + idf * tf * (k1 + 1) / norm
        best = sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)[:top_k]
        run[qid] = dict(best)
    return run
