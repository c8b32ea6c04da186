"""Text datasets: pairs / triplets from JSONL or TSV, NLI triplets, unlabeled sentence corpora, STS pairs."""
import csv
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .jsonl import jsonl_records
from .shipped_corpora import resolve_data_path


def read_records(path: str, columns: Sequence[str], skip_header: bool = False) -> List[Dict[str, object]]:
    """Rows of a ``.jsonl`` file (keys = ``columns``), or of a ``.tsv`` / ``.txt`` / ``.csv`` file (fields in
    ``columns`` order; a first line equal to the column names is a header).

    Args:
        path: the file (``gensim:<name>`` for gensim's shipped test data).
        columns: the fields to read.
        skip_header: the first line of a delimited file is a header with other names (e.g. SimCSE's
            ``sent0,sent1,hard_neg``).

    Returns:
        One dict per row.

    Raises:
        FileNotFoundError, ValueError: a missing file, a row without a field, or no row at all (line numbers named).
    """
    path = resolve_data_path(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'text dataset file {path} does not exist')
    rows = []
    if path.endswith('.jsonl'):
        for where, _, record in jsonl_records(path, 'text dataset file', 'row'):
            missing = [c for c in columns if not isinstance(record, dict) or c not in record]
            if missing:
                raise ValueError(f'{where}: missing field(s) {missing}; expected {list(columns)}')
            rows.append({c: record[c] for c in columns})
        return rows
    with open(path, encoding='utf-8', newline='') as f:
        reader = csv.reader(f) if path.endswith('.csv') else csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE)
        for line_no, fields in enumerate(reader, start=1):
            if not fields or (line_no == 1 and (skip_header or fields[:len(columns)] == list(columns))):
                continue
            if len(fields) < len(columns):
                raise ValueError(f'{path}:{line_no}: {len(fields)} delimited field(s), expected '
                                 f'{len(columns)} ({", ".join(columns)})')
            rows.append(dict(zip(columns, fields)))
    if not rows:
        raise ValueError(f'text dataset file {path} holds no row')
    return rows


@DATASETS.register_module()
class TextPairDataset(BaseDataset):
    """Pairs (``anchor``, ``positive``) or triplets (+ ``negative``), or any named text columns, plus optional
    numeric ones (e.g. an STS ``score``).

    Args:
        ann_file: ``.jsonl``, ``.tsv`` or ``.csv`` file.
        columns: text columns, in the order the model reads them.
        numeric_columns: columns converted to float.
        extra_columns: other columns kept as they are (e.g. a ``domain`` label).
        skip_header: the first line of a delimited file is a header (see :func:`read_records`).
        data_root: prefix of ``ann_file``.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, columns: Sequence[str] = ('anchor', 'positive'),
                 numeric_columns: Sequence[str] = (), extra_columns: Sequence[str] = (), skip_header: bool = False,
                 data_root: Optional[str] = '', **kwargs) -> None:
        self.columns, self.numeric_columns, self.skip_header = tuple(columns), tuple(numeric_columns), skip_header
        self.extra_columns = tuple(extra_columns)
        super().__init__(ann_file=ann_file, data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        rows = read_records(self.ann_file, self.columns + self.numeric_columns + self.extra_columns,
                            self.skip_header)
        for line, row in enumerate(rows):
            for column in self.numeric_columns:
                try:
                    row[column] = float(row[column])
                except ValueError:
                    raise ValueError(f'{self.ann_file}: row {line + 1}: {column}={row[column]!r} is not a '
                                     'number') from None
        return rows

    def texts(self, index: int) -> List[str]:
        """The text fields of one row (what the no-duplicates sampler compares)."""
        row = self.get_data_info(index)
        return [str(row[c]) for c in self.columns]


@DATASETS.register_module()
class SentenceCorpus(TextPairDataset):
    """Unlabeled text: one sentence or passage per line (``.txt``), or ``text`` fields of a ``.jsonl`` file; lines
    shorter than ``min_chars`` are skipped. ``'gensim:lee_background.cor'`` reads that shipped corpus in place.

    Args:
        ann_file: the corpus.
        min_chars: shortest kept line.
        max_items: keep at most this many (0: all).
        split_sentences: split each line into sentences (at ``.``, ``!``, ``?`` followed by a space).
            Each sentence keeps the index of its line as ``document`` (for ``SimCSE(group_key='document')``).
        **kwargs: passed to :class:`TextPairDataset`.
    """

    def __init__(self, ann_file: str, min_chars: int = 1, max_items: int = 0, split_sentences: bool = False,
                 **kwargs) -> None:
        self.min_chars, self.max_items, self.split_sentences = min_chars, max_items, split_sentences
        super().__init__(ann_file=ann_file, columns=('text', ), **kwargs)

    def load_data_list(self) -> List[dict]:
        path = resolve_data_path(self.ann_file)
        if path.endswith('.jsonl'):
            rows = read_records(path, ('text', ))
        else:
            if not osp.isfile(path):
                raise FileNotFoundError(f'corpus file {path} does not exist')
            with open(path, encoding='utf-8', errors='replace') as f:
                rows = [dict(text=line.strip()) for line in f]
        if self.split_sentences:
            rows = [dict(text=part, document=doc) for doc, r in enumerate(rows)
                    for part in re.split(r'(?<=[.!?])\s+', str(r['text']))]
        rows = [r for r in rows if len(str(r['text']).strip()) >= self.min_chars]
        if self.max_items:
            rows = rows[:self.max_items]
        if not rows:
            raise ValueError(f'corpus file {self.ann_file} holds no line of at least {self.min_chars} characters')
        return rows


@DATASETS.register_module()
class NLITripletDataset(TextPairDataset):
    """SimCSE's supervised data from NLI pairs (``premise``, ``hypothesis``, ``label`` in JSONL/TSV): for every
    premise with an entailed and a contradicting hypothesis, the triplet (premise, entailment, contradiction).

    Args:
        ann_file: NLI pairs; labels ``entailment`` / ``contradiction`` (others ignored).
        **kwargs: passed to :class:`TextPairDataset`.
    """

    def __init__(self, ann_file: str, **kwargs) -> None:
        super().__init__(ann_file=ann_file, columns=('anchor', 'positive', 'negative'), **kwargs)

    def load_data_list(self) -> List[dict]:
        by_premise: Dict[str, Dict[str, str]] = {}
        for row in read_records(self.ann_file, ('premise', 'hypothesis', 'label')):
            by_premise.setdefault(row['premise'], {}).setdefault(str(row['label']), row['hypothesis'])
        rows = [dict(anchor=p, positive=h['entailment'], negative=h['contradiction'])
                for p, h in by_premise.items() if 'entailment' in h and 'contradiction' in h]
        if not rows:
            raise ValueError(f'{self.ann_file}: no premise has both an entailment and a contradiction')
        return rows
