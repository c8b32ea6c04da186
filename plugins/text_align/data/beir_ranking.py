"""Re-ranking data from a BEIR folder: training groups (query, positive, BM25-hard negatives) and evaluation pairs
(each judged query with its BM25 top-k candidates)."""
from typing import Dict, List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..evaluation.bm25 import bm25_run
from ..registry import DATASETS
from .beir import load_beir


def _doc_text(doc: dict) -> str:
    return (doc.get('title', '') + ' ' + doc.get('text', '')).strip()


@DATASETS.register_module()
class BEIRRankingGroups(BaseDataset):
    """One row per (query, relevant document) of a BEIR split: ``dict(query_id, doc_id, query, positive,
    negatives=[...], anchor=query, negative=negatives[0])`` (``anchor``/``positive``/``negative`` are the columns a
    bi-encoder's ``tokenize_collate`` reads; ``query``/``positive``/``negatives`` feed ``cross_encoder_collate``).

    Negatives are drawn without replacement from the query's BM25 top ``bm25_top_k`` documents that are not judged
    relevant (hard negatives, as re-rankers are fine-tuned on first-stage candidates), topped up with random
    unjudged documents when too few; ``bm25_top_k=0`` draws them all at random.

    Args:
        folder: BEIR folder.
        split: qrels split with the training queries.
        num_negatives: negatives per row.
        bm25_top_k: candidate pool of hard negatives (0: random negatives).
        seed: sampling seed.
        missing_docs: see :func:`text_align.data.load_beir`.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, folder: str, split: str = 'train', num_negatives: int = 3, bm25_top_k: int = 30,
                 seed: int = 0, missing_docs: str = 'error', **kwargs) -> None:
        if num_negatives < 1:
            raise ValueError(f'BEIRRankingGroups: num_negatives must be >= 1, got {num_negatives}')
        self.folder, self.split, self.num_negatives, self.bm25_top_k = folder, split, num_negatives, bm25_top_k
        self.seed, self.missing_docs = seed, missing_docs
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        corpus, queries, qrels = load_beir(self.folder, self.split, self.missing_docs)
        texts = {d: _doc_text(doc) for d, doc in corpus.items()}
        judged = {q: qrels[q] for q in queries if q in qrels}
        run = bm25_run({q: queries[q] for q in judged}, texts, self.bm25_top_k) if self.bm25_top_k else {}
        rng = np.random.default_rng(self.seed)
        ids = sorted(texts)
        rows, no_positive, topped_up = [], 0, 0
        for qid in sorted(judged):
            relevant = [d for d, r in sorted(judged[qid].items()) if r > 0 and d in texts]
            if not relevant:
                no_positive += 1
                continue
            pool = [d for d in run.get(qid, {}) if d not in judged[qid]]
            for did in relevant:
                picked = list(rng.choice(pool, min(len(pool), self.num_negatives), replace=False)) if pool else []
                if len(picked) < self.num_negatives:
                    topped_up += 1
                    rest = [d for d in ids if d not in judged[qid] and d not in picked]
                    if len(rest) < self.num_negatives - len(picked):
                        raise ValueError(f'BEIRRankingGroups: {self.folder} has too few unjudged documents for '
                                         f'{self.num_negatives} negatives of query {qid}')
                    picked += list(rng.choice(rest, self.num_negatives - len(picked), replace=False))
                negatives = [texts[d] for d in picked]
                rows.append(dict(query_id=qid, doc_id=did, query=queries[qid], anchor=queries[qid],
                                 positive=texts[did], negatives=negatives, negative=negatives[0]))
        print_log(f'BEIRRankingGroups: {len(rows)} rows from {len(judged)} judged queries of {self.folder} '
                  f'({self.split}); {no_positive} without a relevant document skipped; {topped_up} topped up with '
                  'random negatives', logger='current')
        if not rows:
            raise ValueError(f'BEIRRankingGroups: no training row in {self.folder} ({self.split})')
        return rows


@DATASETS.register_module()
class BEIRRerankPairs(BaseDataset):
    """Evaluation rows ``dict(query_id, doc_id, query, document, bm25)``: each judged query of a BEIR split with its
    BM25 top ``top_k`` documents, for a cross-encoder and ``RerankMetric``.

    Args:
        folder: BEIR folder.
        split: qrels split.
        top_k: candidates per query.
        missing_docs: see :func:`text_align.data.load_beir`.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, folder: str, split: str = 'test', top_k: int = 20, missing_docs: str = 'error',
                 **kwargs) -> None:
        self.folder, self.split, self.top_k, self.missing_docs = folder, split, top_k, missing_docs
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        corpus, queries, qrels = load_beir(self.folder, self.split, self.missing_docs)
        texts: Dict[str, str] = {d: _doc_text(doc) for d, doc in corpus.items()}
        judged = {q: queries[q] for q in sorted(queries) if q in qrels}
        run = bm25_run(judged, texts, self.top_k)
        rows = [dict(query_id=q, doc_id=d, query=judged[q], document=texts[d], bm25=s)
                for q in judged for d, s in run[q].items()]
        print_log(f'BEIRRerankPairs: {len(rows)} (query, candidate) pairs for {len(judged)} queries of {self.folder} '
                  f'({self.split}), BM25 top {self.top_k}; {sum(not run[q] for q in judged)} queries with no candidate',
                  logger='current')
        return rows
