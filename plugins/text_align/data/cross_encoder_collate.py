"""Collate for a cross-encoder: ``[CLS] query [SEP] document [SEP]`` sequences, grouped per query in training."""
from typing import Sequence

from mmengine.registry import FUNCTIONS

from .collate import _tokenizer


@FUNCTIONS.register_module()
def cross_encoder_collate(data_batch: Sequence[dict], model_path: str, max_length: int = 256) -> dict:
    """Tokenise (query, document) pairs, the document truncated first.

    Training rows (``query``, ``positive``, ``negatives``) give ``1 + len(negatives)`` sequences each, the positive
    first (row i's group at ``i * G`` to ``(i + 1) * G``); evaluation rows (``query``, ``document``) give one each.

    Args:
        data_batch: rows of ``BEIRRankingGroups`` or ``BEIRRerankPairs``.
        model_path: tokenizer folder or ``shipped:<name>``.
        max_length: truncation of the pair.

    Returns:
        ``dict(inputs=dict(pairs=tokens), data_samples=rows)``.

    Raises:
        ValueError: a row lacks its texts, or the rows' groups differ in size (the row is named).
    """
    queries, documents, group = [], [], None
    for i, row in enumerate(data_batch):
        if 'negatives' in row:
            docs = [row.get('positive')] + list(row['negatives'])
            if group is not None and len(docs) != group:
                raise ValueError(f'cross_encoder_collate: row {i} (query {row.get("query_id")}) has {len(docs) - 1} '
                                 f'negatives, the batch\'s first row {group - 1}')
            group = len(docs)
        else:
            docs = [row.get('document')]
        texts = [row.get('query')] + docs
        if not all(isinstance(t, str) for t in texts):
            raise ValueError(f'cross_encoder_collate: row {i} (query {row.get("query_id")}) needs string "query" and '
                             '"positive" + "negatives" (training) or "document" (evaluation)')
        queries += [row['query']] * len(docs)
        documents += docs
    encoded = _tokenizer(model_path)(queries, documents, padding=True, truncation='longest_first',
                                     max_length=max_length, return_tensors='pt')
    return dict(inputs=dict(pairs=dict(encoded)), data_samples=[dict(r) for r in data_batch])
