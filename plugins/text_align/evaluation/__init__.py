"""Evaluation of text embeddings: STS correlations, retrieval metrics and search, linear-probe classification."""
from .classification import linear_probe_accuracy
from .retrieval import retrieval_metrics, run_from_search, search
from .retrieval_metric import RetrievalMetric
from .sts import STSMetric, cosine_rows, sts_correlations

__all__ = ['linear_probe_accuracy', 'RetrievalMetric', 'retrieval_metrics', 'run_from_search', 'search', 'STSMetric', 'cosine_rows',
           'sts_correlations']
