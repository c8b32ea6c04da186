"""Retrieval evaluation inside the Runner: embeddings of a BEIRDataset's queries and documents -> search -> metrics."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ..data.beir import load_beir
from ..registry import METRICS
from .retrieval import retrieval_metrics, run_from_search, search


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Reads ``kind``, ``id`` and ``embedding`` of each predicted row of a ``BEIRDataset``; reports nDCG@10,
    Recall@100, MRR@10 and MAP (pytrec_eval's definitions) over the folder's qrels.

    Args:
        folder: the BEIR folder the dataset read.
        split: qrels split.
        missing_docs: see :func:`text_align.data.load_beir`.
        top_k: documents retrieved per query.
        collect_device: mmengine's collection device.
        prefix: metric-name prefix.
    """

    default_prefix = 'retrieval'

    def __init__(self, folder: str, split: str = 'test', missing_docs: str = 'error', top_k: int = 100,
                 collect_device: str = 'cpu', prefix: str = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.folder, self.split, self.missing_docs, self.top_k = folder, split, missing_docs, top_k

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for row in data_samples:
            self.results.append((row['kind'], row['id'], np.asarray(row['embedding'], dtype=np.float32)))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        queries = [(i, e) for kind, i, e in results if kind == 'query']
        docs = [(i, e) for kind, i, e in results if kind == 'doc']
        if not queries or not docs:
            raise ValueError(f'RetrievalMetric: got {len(queries)} queries and {len(docs)} documents; evaluate a '
                             'BEIRDataset of the same folder')
        scores, indices = search(np.stack([e for _, e in queries]), np.stack([e for _, e in docs]), self.top_k)
        run = run_from_search([i for i, _ in queries], [i for i, _ in docs], scores, indices)
        _, _, qrels = load_beir(self.folder, self.split, self.missing_docs)
        return {k: 100 * v for k, v in retrieval_metrics(qrels, run).items()}
