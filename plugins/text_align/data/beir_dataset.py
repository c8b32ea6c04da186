"""A BEIR folder as one evaluation dataset: its judged queries, then its documents, for RetrievalMetric."""
from typing import List

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .beir import load_beir


@DATASETS.register_module()
class BEIRDataset(BaseDataset):
    """Rows ``dict(kind='query' | 'doc', id, text)``: the queries that have judgements, then every document (title
    and text joined). Evaluate with ``RetrievalMetric`` on the same folder.

    Args:
        folder: BEIR dataset folder.
        split: qrels split.
        missing_docs: see :func:`text_align.data.load_beir`.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, folder: str, split: str = 'test', missing_docs: str = 'error', **kwargs) -> None:
        self.folder, self.split, self.missing_docs = folder, split, missing_docs
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        corpus, queries, qrels = load_beir(self.folder, self.split, self.missing_docs)
        rows = [dict(kind='query', id=q, text=queries[q]) for q in queries if q in qrels]
        rows += [dict(kind='doc', id=d, text=(doc['title'] + ' ' + doc['text']).strip()) for d, doc in corpus.items()]
        return rows
