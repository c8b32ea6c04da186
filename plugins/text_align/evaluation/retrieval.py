"""Retrieval metrics (nDCG@k, Recall@k, MRR@k, MAP) with trec_eval's definitions, and exact or faiss search."""
import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]


def _ranked(scores: Mapping[str, float]) -> list:
    """Documents by descending score, ties by descending id (trec_eval's order)."""
    return [d for d, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def retrieval_metrics(qrels: Qrels, run: Run, ndcg_at: Sequence[int] = (10,), recall_at: Sequence[int] = (100,),
                      mrr_at: Sequence[int] = (10,)) -> Dict[str, float]:
    """Mean over the queries of the run that have relevance judgements (as pytrec_eval averages).

    nDCG uses the graded gains as trec_eval does (gain = relevance, log2 discount); Recall@k and MAP count
    documents with relevance > 0; MRR@k is the reciprocal rank of the first relevant document in the top k.

    Args:
        qrels: query id -> {document id: relevance}.
        run: query id -> {document id: score}.
        ndcg_at: nDCG cut-offs.
        recall_at: Recall cut-offs.
        mrr_at: MRR cut-offs.

    Returns:
        ``{'nDCG@10': ..., 'Recall@100': ..., 'MRR@10': ..., 'MAP': ...}`` in [0, 1].
    """
    sums: Dict[str, float] = {}
    queries = [q for q in run if q in qrels]
    if not queries:
        raise ValueError('retrieval_metrics: no query of the run has relevance judgements')
    for qid in queries:
        judged = qrels[qid]
        relevant = {d for d, r in judged.items() if r > 0}
        ranking = _ranked(run[qid])
        values = {}
        for k in ndcg_at:
            dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]) if judged.get(d, 0) > 0)
            ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
            idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
            values[f'nDCG@{k}'] = dcg / idcg if idcg else 0.0
        for k in recall_at:
            values[f'Recall@{k}'] = len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0
        for k in mrr_at:
            first = next((i for i, d in enumerate(ranking[:k]) if d in relevant), None)
            values[f'MRR@{k}'] = 0.0 if first is None else 1.0 / (first + 1)
        hits, precisions = 0, []
        for i, d in enumerate(ranking):
            if d in relevant:
                hits += 1
                precisions.append(hits / (i + 1))
        values['MAP'] = sum(precisions) / len(relevant) if relevant else 0.0
        for key, value in values.items():
            sums[key] = sums.get(key, 0.0) + value
    return {key: value / len(queries) for key, value in sums.items()}


def search(query_embeddings: np.ndarray, corpus_embeddings: np.ndarray, top_k: int = 100,
           use_faiss: Optional[bool] = None, chunk: int = 1024) -> Tuple[np.ndarray, np.ndarray]:
    """Inner-product search (normalise first for cosine): exact with torch, or a faiss flat index for large corpora.

    Args:
        query_embeddings: (Q, D).
        corpus_embeddings: (N, D).
        top_k: hits per query.
        use_faiss: force faiss on/off; None uses it above 100k documents when installed.
        chunk: queries per exact-search block.

    Returns:
        ``(scores, indices)``, each (Q, min(top_k, N)), best first.
    """
    k = min(top_k, corpus_embeddings.shape[0])
    if use_faiss is None:
        use_faiss = corpus_embeddings.shape[0] > 100_000
    if use_faiss:
        import faiss
        index = faiss.IndexFlatIP(corpus_embeddings.shape[1])
        index.add(np.ascontiguousarray(corpus_embeddings, dtype=np.float32))
        scores, indices = index.search(np.ascontiguousarray(query_embeddings, dtype=np.float32), k)
        return scores, indices
    corpus = torch.from_numpy(np.asarray(corpus_embeddings, dtype=np.float32))
    scores, indices = [], []
    for start in range(0, query_embeddings.shape[0], chunk):
        block = torch.from_numpy(np.asarray(query_embeddings[start:start + chunk], dtype=np.float32)) @ corpus.t()
        top = block.topk(k, dim=1)
        scores.append(top.values.numpy())
        indices.append(top.indices.numpy())
    return np.concatenate(scores), np.concatenate(indices)


def run_from_search(query_ids: Sequence[str], doc_ids: Sequence[str], scores: np.ndarray,
                    indices: np.ndarray) -> Dict[str, Dict[str, float]]:
    """Turn :func:`search` results into a run ``{query id: {doc id: score}}``."""
    return {q: {doc_ids[j]: float(s) for s, j in zip(scores[i], indices[i])} for i, q in enumerate(query_ids)}
