"""Span-level slot F1 as seqeval computes it (default, non-strict mode), and BIO tags from character spans.

Entities are read from IOB/IOBES tags with the conlleval rules seqeval follows: an ``I-`` tag after ``O`` or after a
tag of another type opens a new entity, and a change of type closes one. A predicted entity counts when its type,
start and end equal a gold entity's in the same sentence; micro F1 pools all entities, macro F1 averages the per-type
F1 over the types found in gold or predictions.
"""
import re
from typing import Dict, List, Sequence, Set, Tuple

WORD = re.compile(r'\w+|[^\w\s]')


def _split(tag: str) -> Tuple[str, str]:
    return tag[0], (tag[1:].split('-', maxsplit=1)[-1] or '_')


def _ends(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ('E', 'S') or (prev_tag in ('B', 'I') and tag in ('B', 'S', 'O')):
        return True
    return prev_tag not in ('O', '.') and prev_type != type_


def _starts(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ('B', 'S') or (prev_tag in ('E', 'S', 'O') and tag in ('E', 'I')):
        return True
    return tag not in ('O', '.') and prev_type != type_


def entities(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """Entities ``(type, first, last)`` (inclusive word indices) of one tag sequence."""
    found, prev_tag, prev_type, begin = [], 'O', '', 0
    for i, tag in enumerate(list(tags) + ['O']):
        kind, type_ = _split(tag)
        if _ends(prev_tag, kind, prev_type, type_):
            found.append((prev_type, begin, i - 1))
        if _starts(prev_tag, kind, prev_type, type_):
            begin = i
        prev_tag, prev_type = kind, type_
    return found


def _f1(correct: int, predicted: int, gold: int) -> Tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def slot_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> Dict[str, float]:
    """Span-level precision / recall / F1 of predicted tag sequences (seqeval's ``f1_score``).

    Args:
        gold: per sentence, its gold tags (``O``, ``B-slot``, ``I-slot``, ...).
        predicted: per sentence, its predicted tags (same lengths).

    Returns:
        ``precision``, ``recall``, ``f1`` (micro, %) and ``f1_macro`` (%).

    Raises:
        ValueError: a sentence whose two sequences differ in length (the sentence is named).
    """
    if len(gold) != len(predicted):
        raise ValueError(f'slot_f1: {len(gold)} gold sentences but {len(predicted)} predicted')
    true_set: Set[tuple] = set()
    pred_set: Set[tuple] = set()
    for n, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f'slot_f1: sentence {n} has {len(g)} gold tags but {len(p)} predicted')
        true_set |= {(n, *e) for e in entities(g)}
        pred_set |= {(n, *e) for e in entities(p)}
    precision, recall, f1 = _f1(len(true_set & pred_set), len(pred_set), len(true_set))
    types = sorted({e[1] for e in true_set | pred_set})
    per_type = [_f1(len({e for e in true_set & pred_set if e[1] == t}), sum(e[1] == t for e in pred_set),
                    sum(e[1] == t for e in true_set))[2] for t in types]
    return dict(precision=100 * precision, recall=100 * recall, f1=100 * f1,
                f1_macro=100 * sum(per_type) / len(per_type) if per_type else 0.0)


def bio_tags(text: str, spans: Sequence[Tuple[int, int, str]]) -> Tuple[List[str], List[str]]:
    """Words of ``text`` (runs of word characters, single punctuation marks) and their BIO tags from character spans.

    Args:
        text: the utterance.
        spans: ``(start, end, slot)`` character spans of slot values.

    Returns:
        ``(words, tags)``.
    """
    words, tags, previous = [], [], None
    for match in WORD.finditer(text):
        span = next(((start, end, slot) for start, end, slot in spans if start <= match.start() < end), None)
        words.append(match.group())
        tags.append('O' if span is None else f'{"I" if span == previous else "B"}-{span[2]}')
        previous = span
    return words, tags
