"""The Lee document-similarity ratings as a regression task split by document: training rows are the documents of
the training folds (each carrying its ratings against every document), so no held-out document is ever read."""
from typing import List, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .shipped_corpora import gensim_test_data


def lee_documents_and_scores() -> Tuple[List[str], np.ndarray]:
    """The 50 Lee news documents and their symmetric (50, 50) human similarity matrix.

    The shipped matrix is not exactly symmetric; as ``LeeDocumentSimilarity`` does, the pair (i, j), i < j, takes
    the upper-triangle value, mirrored here to (j, i).

    Returns:
        ``(documents, scores)``.
    """
    with open(gensim_test_data('lee.cor'), encoding='utf-8', errors='replace') as f:
        documents = [line.strip() for line in f if line.strip()]
    ratings = np.loadtxt(gensim_test_data('similarities0-1.txt'))
    if ratings.shape != (len(documents), len(documents)):
        raise ValueError(f'Lee corpus: {len(documents)} documents but a {ratings.shape} rating matrix')
    upper = np.triu(ratings, 1)
    return documents, upper + upper.T + np.diag(np.diag(ratings))


def document_folds(num_documents: int, num_folds: int, fold: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Training and held-out documents of one fold of a shuffled ``num_folds``-fold split of the documents.

    Args:
        num_documents: number of documents.
        num_folds: folds (>= 2).
        fold: the held-out fold.
        seed: shuffling seed.

    Returns:
        ``(train, test)`` sorted document indices.
    """
    if num_folds < 2 or not 0 <= fold < num_folds:
        raise ValueError(f'document_folds: need num_folds >= 2 and 0 <= fold < num_folds, got {num_folds}, {fold}')
    order = np.random.default_rng(seed).permutation(num_documents)
    test = np.sort(order[fold::num_folds])
    return np.setdiff1d(np.arange(num_documents), test), test


def pairs_of(train: np.ndarray, test: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Training pairs (both documents in ``train``) and held-out pairs (at least one document in ``test``).

    Args:
        train: training documents.
        test: held-out documents.

    Returns:
        ``(train_pairs, test_pairs)``, each (P, 2) with i < j.
    """
    every = sorted(set(train.tolist()) | set(test.tolist()))
    held = set(test.tolist())
    pairs = [(i, j) for a, i in enumerate(every) for j in every[a + 1:]]
    train_pairs = np.array([p for p in pairs if p[0] not in held and p[1] not in held], dtype=np.int64)
    test_pairs = np.array([p for p in pairs if p[0] in held or p[1] in held], dtype=np.int64)
    return train_pairs, test_pairs


@DATASETS.register_module()
class LeeDocumentRegression(BaseDataset):
    """Rows ``dict(text, doc_id, scores)`` for the documents of the training folds; ``scores`` holds the document's
    human similarity to every document (only the training documents' entries are used in training). A model that
    embeds a batch of documents regresses the scores of the pairs inside the batch.

    Args:
        num_folds: folds of the document split.
        fold: the held-out fold (its documents are not rows).
        fold_seed: seed of the split.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, num_folds: int = 5, fold: int = 0, fold_seed: int = 0, **kwargs) -> None:
        self.num_folds, self.fold, self.fold_seed = num_folds, fold, fold_seed
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        documents, scores = lee_documents_and_scores()
        train, test = document_folds(len(documents), self.num_folds, self.fold, self.fold_seed)
        masked = scores.copy()
        masked[:, test] = np.nan  # pairs with a held-out document carry no label in training
        return [dict(text=documents[i], doc_id=int(i), scores=masked[i].tolist()) for i in train]
