"""Re-ranking evaluation inside the Runner: a cross-encoder's score of each (query, candidate) row -> a run ->
nDCG@10, Recall@100, MRR@10, MAP (pytrec_eval's definitions)."""
from typing import Dict, List, Sequence

from mmengine.evaluator import BaseMetric

from ..data.beir import load_beir
from ..registry import METRICS
from .retrieval import retrieval_metrics


@METRICS.register_module()
class RerankMetric(BaseMetric):
    """Reads ``query_id``, ``doc_id`` and ``score`` of each predicted ``BEIRRerankPairs`` row; documents outside a
    query's candidates are not retrieved (re-ranking cannot recall them).

    Args:
        folder: the BEIR folder the dataset read.
        split: qrels split.
        missing_docs: see :func:`text_align.data.load_beir`.
        collect_device: mmengine's collection device.
        prefix: metric-name prefix.
    """

    default_prefix = 'rerank'

    def __init__(self, folder: str, split: str = 'test', missing_docs: str = 'error', collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.folder, self.split, self.missing_docs = folder, split, missing_docs

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for row in data_samples:
            self.results.append((row['query_id'], row['doc_id'], float(row['score'])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        if not results:
            raise ValueError('RerankMetric: no scored row; evaluate a BEIRRerankPairs dataset of the same folder')
        run: Dict[str, Dict[str, float]] = {}
        for qid, did, score in results:
            run.setdefault(qid, {})[did] = score
        _, _, qrels = load_beir(self.folder, self.split, self.missing_docs)
        return {k: 100 * v for k, v in retrieval_metrics(qrels, run).items()}
