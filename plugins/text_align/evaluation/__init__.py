"""Evaluation of text embeddings: STS correlations, retrieval metrics and search, linear-probe classification."""
from .bitext import BitextRetrievalMetric, bitext_accuracy
from .bm25 import bm25_run, bm25_tokens
from .classification import linear_probe_accuracy
from .document_similarity import lee_documents, lee_similarity
from .eval_length import encode_for_evaluation, evaluation_length, evaluation_max_length, token_lengths
from .label_metrics import held_out_label_scores, knn_accuracy, same_label_map
from .paired_folds import paired_by_fold
from .retrieval import retrieval_metrics, run_from_search, search
from .retrieval_metric import RetrievalMetric
from .rerank_metric import RerankMetric
from .sts import STSMetric, cosine_rows, sts_correlations
from .whitening import Whitening, fit_whitening

__all__ = ['linear_probe_accuracy', 'lee_documents', 'lee_similarity', 'encode_for_evaluation', 'evaluation_length',
           'evaluation_max_length', 'token_lengths', 'held_out_label_scores', 'knn_accuracy', 'same_label_map',
           'paired_by_fold', 'RetrievalMetric', 'retrieval_metrics', 'run_from_search', 'search', 'STSMetric', 'cosine_rows',
           'sts_correlations', 'BitextRetrievalMetric', 'bitext_accuracy', 'Whitening', 'fit_whitening']
__all__ += ['bm25_run', 'bm25_tokens', 'RerankMetric']  # B-PROP re-ranking
from .regression_probe import (RegressionProbeMetric, linear_probe_regression, regression_scores,  # noqa: E402
                               ridge_alpha_by_cv, ridge_fit_predict)

__all__ += ['RegressionProbeMetric', 'linear_probe_regression', 'regression_scores', 'ridge_alpha_by_cv',
            'ridge_fit_predict']
# SPACE-2 / DialoGLUE-style dialog understanding
from .intent_accuracy import intent_accuracy  # noqa: E402
from .joint_goal_accuracy import joint_goal_accuracy, normalise_state  # noqa: E402
from .slot_f1 import bio_tags, entities, slot_f1  # noqa: E402

__all__ += ['intent_accuracy', 'joint_goal_accuracy', 'normalise_state', 'bio_tags', 'entities', 'slot_f1']
# end SPACE-2
from .glue import GLUE_TASK_METRICS, finetune_classifier, glue_scores, read_text_label_file  # noqa: E402

__all__ += ['GLUE_TASK_METRICS', 'finetune_classifier', 'glue_scores', 'read_text_label_file']
