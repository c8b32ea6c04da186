"""CCP's context-prediction pairs: each sentence of a document with every other sentence within a window."""
import json
import re
from typing import List, Sequence, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from .shipped_corpora import resolve_data_path


def split_sentences(text: str, min_chars: int = 1) -> List[str]:
    """Sentences of ``text`` (split after ``.``, ``!``, ``?`` followed by white space) of at least ``min_chars``."""
    return [s.strip() for s in re.split(r'(?<=[.!?])\s+', text.strip()) if len(s.strip()) >= min_chars]


def window_pairs(sentences: Sequence[str], window: int = 2) -> List[Tuple[int, int]]:
    """``(centre, context)`` index pairs: every ``j != i`` with ``|i - j| <= window``.

    A document with fewer than ``window + 1`` sentences has no full window and gives no pairs (the caller counts
    it).

    Args:
        sentences: one document's sentences.
        window: context radius (CCP leaves it open; default 2).

    Returns:
        Index pairs in document order.
    """
    if window < 1:
        raise ValueError(f'window_pairs: window must be >= 1, got {window}')
    n = len(sentences)
    if n < window + 1:
        return []
    return [(i, j) for i in range(n) for j in range(max(0, i - window), min(n, i + window + 1)) if j != i]


@DATASETS.register_module()
class SentenceWindowPairs(BaseDataset):
    """Rows ``dict(anchor, positive, document, language)``: centre sentence, a context sentence within ``window``,
    the document index and the language index (into ``languages``).

    Args:
        ann_file: one document per line (a ``.txt``/``.cor`` file, all in ``default_language``), or ``.jsonl`` with
            ``text`` and ``language`` per document; ``gensim:`` prefixes as elsewhere.
        window: context radius.
        min_chars: shortest kept sentence.
        languages: the language codes; a ``.jsonl`` language not in it is an error naming the line.
        default_language: language of a plain-text corpus.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, window: int = 2, min_chars: int = 20, languages: Sequence[str] = ('en', ),
                 default_language: str = 'en', **kwargs) -> None:
        self.window, self.min_chars = window, min_chars
        self.languages, self.default_language = list(languages), default_language
        self.short_documents = 0
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def _documents(self, path: str) -> List[Tuple[str, int]]:
        docs = []
        with open(path, encoding='utf-8', errors='replace') as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                if path.endswith('.jsonl'):
                    record = json.loads(line)
                    text, language = record.get('text'), record.get('language', self.default_language)
                    if not isinstance(text, str):
                        raise ValueError(f'SentenceWindowPairs: {path}:{number} needs a "text" string')
                else:
                    text, language = line, self.default_language
                if language not in self.languages:
                    raise ValueError(f'SentenceWindowPairs: {path}:{number}: language {language!r} is not in '
                                     f'languages={self.languages}')
                docs.append((text, self.languages.index(language)))
        return docs

    def load_data_list(self) -> List[dict]:
        rows, self.short_documents = [], 0
        for d, (text, language) in enumerate(self._documents(resolve_data_path(self.ann_file))):
            sentences = split_sentences(text, self.min_chars)
            pairs = window_pairs(sentences, self.window)
            self.short_documents += not pairs
            rows += [dict(anchor=sentences[i], positive=sentences[j], document=d, language=language)
                     for i, j in pairs]
        if self.short_documents:
            print_log(f'SentenceWindowPairs: {self.short_documents} documents of {self.ann_file} have fewer than '
                      f'{self.window + 1} sentences and give no pairs', logger='current')
        if not rows:
            raise ValueError(f'SentenceWindowPairs: no pair in {self.ann_file} (window {self.window})')
        return rows
