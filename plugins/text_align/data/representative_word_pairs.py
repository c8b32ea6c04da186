"""B-PROP's pre-training rows: (document, positive word set, negative word set) from the encoder's own attention."""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from .representative_words import collection_distribution, dfr_scores, word_set_pairs
from .shipped_corpora import resolve_data_path


@DATASETS.register_module()
class RepresentativeWordPairs(BaseDataset):
    """Rows ``dict(document, positive, negative)`` (word sets joined by spaces), ``num_pairs`` per document.

    Args:
        ann_file: one document per line (``gensim:`` prefixes as elsewhere).
        model_path: the BERT whose last-layer [CLS] attention weighs the words.
        max_length: attention truncation.
        num_pairs: word-set pairs per document (released: 10).
        poisson_lambda: mean word-set length (3).
        min_words: documents with fewer scored words are skipped (released: 10).
        skip_short_prob / short_tokens: released skips 80% of documents under 200 word pieces (we count
            whitespace words); skip_short_prob=0 keeps all.
        cache_file: attention cache (JSON).
        seed: sampling seed.
        max_docs: use the first documents only (0: all).
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, model_path: str, max_length: int = 512, num_pairs: int = 10,
                 poisson_lambda: float = 3.0, min_words: int = 10, skip_short_prob: float = 0.8,
                 short_tokens: int = 200, cache_file: str = None, seed: int = 0, max_docs: int = 0, **kwargs) -> None:
        self.model_path, self.max_length, self.num_pairs, self.lam = model_path, max_length, num_pairs, poisson_lambda
        self.min_words, self.skip_short_prob, self.short_tokens = min_words, skip_short_prob, short_tokens
        self.cache_file, self.seed, self.max_docs = cache_file, seed, max_docs
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        from ..methods.bprop_attention import document_term_weights
        with open(resolve_data_path(self.ann_file), encoding='utf-8', errors='replace') as f:
            docs = [' '.join(line.split()) for line in f if line.strip()]
        if self.max_docs:
            docs = docs[:self.max_docs]
        weights = document_term_weights(docs, self.model_path, self.max_length, cache_file=self.cache_file)
        collection = collection_distribution(weights)
        rng = np.random.default_rng(self.seed)
        rows, skipped = [], dict(short=0, few_words=0)
        for doc, weight in zip(docs, weights):
            if self.skip_short_prob and len(doc.split()) < self.short_tokens and rng.random() < self.skip_short_prob:
                skipped['short'] += 1
                continue
            scores = dfr_scores(weight, collection)
            if len(scores) < self.min_words:
                skipped['few_words'] += 1
                continue
            rows += [dict(document=doc, positive=' '.join(p), negative=' '.join(n))
                     for p, n in word_set_pairs(scores, self.num_pairs, self.lam, rng=rng)]
        print_log(f'RepresentativeWordPairs: {len(rows)} pairs from {len(docs)} documents of {self.ann_file}; skipped '
                  f'{skipped}', logger='current')
        if not rows:
            raise ValueError(f'RepresentativeWordPairs: no pair from {self.ann_file} ({skipped})')
        return rows
