"""Contriever's training documents: a corpus tokenised into one token stream and cut into full fixed-length chunks."""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .collate import _tokenizer
from .text_datasets import SentenceCorpus


@DATASETS.register_module()
class TokenChunkCorpus(BaseDataset):
    """Every text of a corpus tokenised without special tokens, concatenated in file order into one token stream,
    and cut into full chunks of ``chunk_length`` tokens from an offset below ``chunk_length`` (the last partial
    chunk is dropped), as facebookresearch/contriever's ``preprocess.py`` + ``src/data.py::Dataset`` do. Rows are
    ``dict(input_ids=[...])``; ``independent_crops_collate`` cuts its two crops from each.

    Upstream draws a new offset every epoch; here it is drawn once when the dataset is built (or fixed by
    ``offset``), which with an ``InfiniteSampler`` is the whole run.

    Args:
        ann_file: the corpus, as :class:`SentenceCorpus` reads it (one text per line, or ``text`` fields of JSONL;
            ``gensim:<file>`` for gensim's shipped data).
        model_path: tokenizer folder or ``shipped:<name>``.
        chunk_length: tokens per chunk (256 in the paper's script).
        min_chars: skip shorter lines.
        offset: first token of the first chunk, in ``[0, chunk_length)``; -1 draws it from numpy's global state.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, model_path: str, chunk_length: int = 256, min_chars: int = 1, offset: int = -1,
                 **kwargs) -> None:
        if chunk_length < 2:
            raise ValueError(f'TokenChunkCorpus: chunk_length must be >= 2, got {chunk_length}')
        if not -1 <= offset < chunk_length:
            raise ValueError(f'TokenChunkCorpus: offset must be -1 or in [0, {chunk_length}), got {offset}')
        self.corpus_file, self.model_path, self.chunk_length = ann_file, model_path, chunk_length
        self.min_chars, self.offset = min_chars, offset
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        corpus = SentenceCorpus(self.corpus_file, min_chars=self.min_chars)
        texts = [str(corpus.get_data_info(i)['text']) for i in range(len(corpus))]
        tokenizer = _tokenizer(self.model_path)
        stream: List[int] = []
        for start in range(0, len(texts), 1000):
            for ids in tokenizer(texts[start:start + 1000], add_special_tokens=False, verbose=False)['input_ids']:
                stream.extend(ids)
        offset = int(np.random.randint(self.chunk_length)) if self.offset < 0 else self.offset
        count = (len(stream) - offset) // self.chunk_length
        if count < 1:
            raise ValueError(f'TokenChunkCorpus: {self.corpus_file} holds {len(stream)} tokens, fewer than one chunk '
                             f'of {self.chunk_length} after offset {offset}')
        return [dict(input_ids=stream[offset + i * self.chunk_length:offset + (i + 1) * self.chunk_length])
                for i in range(count)]
