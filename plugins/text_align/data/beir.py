"""BEIR-format retrieval folders: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``."""
import csv
import os.path as osp
from typing import Dict, Tuple

from mmengine.logging import MMLogger

from .jsonl import jsonl_records


def _read_jsonl(path: str) -> Dict[str, dict]:
    """``_id`` -> record of a BEIR ``corpus.jsonl`` or ``queries.jsonl``."""
    items = {}
    for where, _, record in jsonl_records(path, 'BEIR folder'):
        if not isinstance(record, dict) or '_id' not in record:
            raise ValueError(f'{where}: no "_id" field')
        items[str(record['_id'])] = record
    return items


def load_beir(folder: str, split: str = 'test',
              missing_docs: str = 'error') -> Tuple[Dict[str, dict], Dict[str, str], Dict[str, Dict[str, int]]]:
    """Read a BEIR dataset folder.

    Args:
        folder: holds ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.
        split: the qrels file.
        missing_docs: what to do with judgements naming documents absent from the corpus: ``'error'`` (the
            default: they would silently lower recall), ``'drop'`` them (logged), or ``'keep'`` them (BEIR's
            behaviour).

    Returns:
        ``(corpus {id: {title, text}}, queries {id: text}, qrels {query id: {doc id: relevance}})``, qrels limited
        to queries present in ``queries.jsonl``.
    """
    corpus = {k: dict(title=v.get('title', ''), text=v.get('text', ''))
              for k, v in _read_jsonl(osp.join(folder, 'corpus.jsonl')).items()}
    queries = {k: v.get('text', '') for k, v in _read_jsonl(osp.join(folder, 'queries.jsonl')).items()}
    qrels_path = osp.join(folder, 'qrels', f'{split}.tsv')
    if not osp.isfile(qrels_path):
        raise FileNotFoundError(f'BEIR folder: {qrels_path} does not exist')
    qrels: Dict[str, Dict[str, int]] = {}
    missing = []
    with open(qrels_path, encoding='utf-8', newline='') as f:
        for line_no, fields in enumerate(csv.reader(f, delimiter='\t'), start=1):
            if not fields or (line_no == 1 and not fields[-1].lstrip('-').isdigit()):
                continue  # header "query-id corpus-id score"
            if len(fields) < 3:
                raise ValueError(f'{qrels_path}:{line_no}: expected "query-id<TAB>corpus-id<TAB>score"')
            qid, did = fields[0], fields[1]
            try:
                score = int(fields[2])
            except ValueError:
                raise ValueError(f'{qrels_path}:{line_no}: the score {fields[2]!r} is not an integer (BEIR '
                                 'relevance judgements are integers)') from None
            if qid not in queries:
                continue
            if did not in corpus:
                missing.append((line_no, qid, did))
                if missing_docs == 'drop':
                    continue
            qrels.setdefault(qid, {})[did] = score
    if missing and missing_docs == 'error':
        line_no, qid, did = missing[0]
        raise ValueError(f'{qrels_path}:{line_no}: query {qid} judges document {did}, which is not in corpus.jsonl '
                         f'({len(missing)} such judgement(s)); pass missing_docs="drop" or "keep" to go on')
    if missing:
        MMLogger.get_current_instance().warning(
            f'{qrels_path}: {len(missing)} judgement(s) name documents missing from the corpus ({missing_docs})')
    return corpus, queries, qrels
