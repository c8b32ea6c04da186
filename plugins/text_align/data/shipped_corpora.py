"""Small real corpora that installed packages ship, read in place (never copied): gensim's Lee news corpus."""
import os.path as osp
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS


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
