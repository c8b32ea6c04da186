"""Small real corpora that installed packages ship, read in place (never copied): gensim's Lee news corpus and its
labelled movie-review sentences (Pang & Lee polarity), and supervised pairs of one fold of the latter."""
import os.path as osp
from typing import List, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .kfold import fold_split

LABEL_PREFIX = '__label__'


def gensim_test_data(name: str) -> str:
    """Path of a file in gensim's test data (e.g. ``lee_background.cor``, ``lee.cor``, ``similarities0-1.txt``)."""
    try:
        import gensim
    except ImportError:
        raise ImportError('the shipped corpora need gensim (pip install -r requirements/text.txt)') from None
    path = osp.join(osp.dirname(gensim.__file__), 'test', 'test_data', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'gensim does not ship {name} (looked for {path})')
    return path


def resolve_data_path(path: str) -> str:
    """``'gensim:<file>'`` -> that file of gensim's test data; any other path unchanged."""
    return gensim_test_data(path[len('gensim:'):]) if path.startswith('gensim:') else path


@DATASETS.register_module()
class LeeDocumentSimilarity(BaseDataset):
    """The Lee et al. (2005) document-similarity set: 50 news documents and human similarity ratings of every pair
    (1225 pairs), as rows ``sentence1``, ``sentence2``, ``score`` for :class:`STSMetric`.

    Args:
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset` (``pipeline`` etc.).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        with open(gensim_test_data('lee.cor'), encoding='utf-8', errors='replace') as f:
            documents = [line.strip() for line in f if line.strip()]
        ratings = np.loadtxt(gensim_test_data('similarities0-1.txt'))
        if ratings.shape != (len(documents), len(documents)):
            raise ValueError(f'Lee corpus: {len(documents)} documents but a {ratings.shape} rating matrix')
        return [dict(sentence1=documents[i], sentence2=documents[j], score=float(ratings[i, j]))
                for i in range(len(documents)) for j in range(i + 1, len(documents))]


def read_labelled_sentences(path: str = 'gensim:pang_lee_polarity.cor') -> Tuple[List[str], List[int], List[str]]:
    """Sentences of a fastText-style labelled file (``__label__<class> <text>`` per line), e.g. the 200 movie-review
    sentences of Pang & Lee's polarity data that gensim ships (100 ``neg``, 100 ``pos``).

    Args:
        path: the file, or ``gensim:<file>``.

    Returns:
        ``(texts, labels, class_names)``: labels index ``class_names`` (sorted names).
    """
    path = resolve_data_path(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'labelled corpus {path} does not exist')
    names, texts = [], []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            label, _, text = line.strip().partition(' ')
            if not label.startswith(LABEL_PREFIX) or not text.strip():
                raise ValueError(f'{path}:{line_no}: expected "{LABEL_PREFIX}<class> <text>", got {line[:60]!r}')
            names.append(label[len(LABEL_PREFIX):])
            texts.append(text.strip())
    if not texts:
        raise ValueError(f'labelled corpus {path} holds no line')
    class_names = sorted(set(names))
    return texts, [class_names.index(n) for n in names], class_names


@DATASETS.register_module()
class SameLabelPairs(BaseDataset):
    """Supervised contrastive pairs from the training folds of a labelled corpus: every training sentence is an
    anchor ``pairs_per_text`` times, each time with another training sentence of its class as ``positive``; rows
    also hold ``label`` (for ``SimCSE(group_key='label')``, which keeps same-class sentences out of each other's
    negatives). The held-out fold (``fold`` of a stratified ``num_folds``-fold split) is never read.

    Args:
        ann_file: labelled corpus (see :func:`read_labelled_sentences`).
        num_folds: folds of the stratified split.
        fold: the held-out fold.
        fold_seed: seed of the split (keep it fixed to compare runs fold by fold).
        pairs_per_text: positives drawn per anchor (distinct while the class has enough members).
        seed: seed of the positive draws.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str = 'gensim:pang_lee_polarity.cor', num_folds: int = 5, fold: int = 0,
                 fold_seed: int = 0, pairs_per_text: int = 4, seed: int = 0, **kwargs) -> None:
        if pairs_per_text < 1:
            raise ValueError(f'SameLabelPairs: pairs_per_text must be >= 1, got {pairs_per_text}')
        self.num_folds, self.fold, self.fold_seed = num_folds, fold, fold_seed
        self.pairs_per_text, self.seed = pairs_per_text, seed
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        texts, labels, _ = read_labelled_sentences(self.ann_file)
        train, _ = fold_split(labels, self.num_folds, self.fold, self.fold_seed)
        rng = np.random.default_rng(self.seed)
        by_label = {label: [i for i in train if labels[i] == label] for label in set(labels[i] for i in train)}
        draws = {}
        for anchor in train:
            others = [i for i in by_label[labels[anchor]] if i != anchor]
            if not others:
                raise ValueError(f'SameLabelPairs: class {labels[anchor]} has a single training sentence in fold '
                                 f'{self.fold}; no positive can be drawn')
            draws[anchor] = [others[j] for j in np.concatenate(
                [rng.permutation(len(others)) for _ in range(-(-self.pairs_per_text // len(others)))]
            )[:self.pairs_per_text]]
        return [dict(anchor=texts[a], positive=texts[draws[a][r]], label=int(labels[a]))
                for r in range(self.pairs_per_text) for a in train]

    def texts(self, index: int) -> List[str]:
        """The two texts of a row (what ``NoDuplicatesBatchSampler`` compares)."""
        row = self.get_data_info(index)
        return [row['anchor'], row['positive']]
