"""Graded relevance lists in JSONL (SyCL's multi-level training data), as a dataset of query groups.

One line per query::

    {"query": "...", "passages": [{"text": "...", "grade": 3}, {"text": "...", "grade": 0}, ...]}

(an optional ``"query_id"``). Grades must be integers among the declared ``levels`` (SyCL: 3/2/1/0).
"""
import random
from typing import List, Sequence, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from .jsonl import jsonl_records
from .shipped_corpora import resolve_data_path


def read_graded_lists(path: str, levels: Sequence[int] = (0, 1, 2, 3),
                      min_passages: int = 2) -> Tuple[List[dict], dict]:
    """Read graded lists; queries whose passages all share one grade (no ordering) or that have fewer than
    ``min_passages`` passages are skipped and counted.

    Args:
        path: JSONL file.
        levels: the allowed grades.
        min_passages: passages a query needs (e.g. the group size).

    Returns:
        ``(rows, counts)``: rows ``dict(query_id, query, passages=[str], grades=[int])``; counts
        ``dict(read, single_grade, too_few_passages)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not JSON, lacks ``query``/``passages``, or has a grade outside ``levels`` (the file
            and line number are named); or the file has no non-blank line.
    """
    allowed = set(int(v) for v in levels)
    rows, counts = [], dict(read=0, single_grade=0, too_few_passages=0)
    for where, number, record in jsonl_records(path, 'read_graded_lists', 'graded list'):
        if not isinstance(record, dict) or not isinstance(record.get('query'), str) \
                or not isinstance(record.get('passages'), list):
            raise ValueError(f'read_graded_lists: {where} needs "query" (a string) and "passages" (a list of '
                             '{"text", "grade"})')
        texts, grades = [], []
        for passage in record['passages']:
            grade = passage.get('grade') if isinstance(passage, dict) else None
            if isinstance(grade, bool) or not isinstance(grade, int) or grade not in allowed:
                raise ValueError(f'read_graded_lists: {where}: grade {grade!r} is not one of the declared levels '
                                 f'{sorted(allowed)}')
            if not isinstance(passage.get('text'), str):
                raise ValueError(f'read_graded_lists: {where}: a passage "text" must be a string')
            texts.append(passage['text'])
            grades.append(grade)
        counts['read'] += 1
        if len(texts) < min_passages:
            counts['too_few_passages'] += 1
        elif len(set(grades)) < 2:
            counts['single_grade'] += 1
        else:
            rows.append(dict(query_id=str(record.get('query_id', number)), query=record['query'],
                             passages=texts, grades=grades))
    return rows, counts


@DATASETS.register_module()
class GradedListDataset(BaseDataset):
    """Rows ``dict(query, passages=[G texts], grades=[G ints])``: each query with ``group_size`` of its passages
    drawn at random on every access (trove's ``passage_selection_strategy='random'``), the graded-list input of
    ``SyCL``.

    Args:
        ann_file: JSONL (see the module docstring); ``gensim:``/``shipped:`` prefixes as elsewhere.
        group_size: passages per query in a batch (SyCL: 4 synthetic, 7 synthetic + real).
        levels: allowed grades.
        seed: seed of the passage draw (combined with the row index and an access counter).
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, group_size: int = 4, levels: Sequence[int] = (0, 1, 2, 3), seed: int = 0,
                 **kwargs) -> None:
        if group_size < 2:
            raise ValueError(f'GradedListDataset: group_size must be >= 2, got {group_size}')
        self.group_size, self.levels, self.seed = group_size, tuple(levels), seed
        self._draws = 0
        self.counts: dict = {}
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        rows, self.counts = read_graded_lists(resolve_data_path(self.ann_file), self.levels, self.group_size)
        skipped = self.counts['single_grade'] + self.counts['too_few_passages']
        if skipped:
            print_log(f'GradedListDataset: skipped {self.counts["single_grade"]} queries with a single grade level '
                      f'and {self.counts["too_few_passages"]} with fewer than {self.group_size} passages, of '
                      f'{self.counts["read"]} in {self.ann_file}', logger='current')
        if not rows:
            raise ValueError(f'GradedListDataset: no usable query in {self.ann_file} ({self.counts})')
        return rows

    def prepare_data(self, idx: int) -> dict:
        row = self.get_data_info(idx)
        self._draws += 1
        rng = random.Random(hash((self.seed, idx, self._draws)))
        picked = rng.sample(range(len(row['passages'])), self.group_size)
        return dict(query_id=row['query_id'], query=row['query'], passages=[row['passages'][i] for i in picked],
                    grades=[row['grades'][i] for i in picked])
