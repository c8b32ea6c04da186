"""Converters into the JSONL dialog format (:mod:`.dialog_jsonl`): MultiWOZ-style ``data.json`` and
intent-classification files (DialoGLUE's ``text,category`` CSV, or ``text<TAB>label`` lines).

MultiWOZ (2.1 and later): user turns are the even turns of ``log``; each ``dialog_act`` ``"Domain-Act": [[slot,
value], ...]`` becomes the tree branch ``domain -> act -> slot -> value`` (``none`` slots give an act without slots;
``?`` / ``none`` values, e.g. of ``Request``, give a slot without value); ``span_info`` word spans become character
spans; the dialog state after a user turn (the next system turn's ``metadata``, ``semi`` and ``book`` slots that are
filled) becomes ``state`` ``{"domain-slot": value}``.
"""
import csv
import json
import os.path as osp
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

EMPTY = ('', 'none', 'not mentioned', '?')


def _word_offsets(text: str) -> List[Tuple[int, int]]:
    return [m.span() for m in re.finditer(r'\S+', text)]


def multiwoz_frame(acts: Mapping, where: str) -> Dict[str, Dict[str, Dict[str, list]]]:
    """The tree of one turn's ``dialog_act`` (see the module docstring)."""
    frame: Dict[str, Dict[str, Dict[str, list]]] = {}
    for name, pairs in acts.items():
        if '-' not in name:
            raise ValueError(f'{where}: dialog act {name!r} is not "Domain-Act"')
        domain, act = name.split('-', 1)
        slots = frame.setdefault(domain.lower(), {}).setdefault(act.lower(), {})
        for pair in pairs:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f'{where}: act {name!r} holds {pair!r}, expected [slot, value] pairs')
            slot, value = (str(p).strip().lower() for p in pair)
            if slot in EMPTY:
                continue
            values = slots.setdefault(slot, [])
            if value not in EMPTY:
                values.append(value)
    return frame


def multiwoz_state(metadata: Optional[Mapping]) -> Dict[str, str]:
    """Filled ``semi`` / ``book`` slots of a system turn's ``metadata`` as ``{"domain-slot": value}``."""
    state = {}
    for domain, parts in (metadata or {}).items():
        for part in ('semi', 'book'):
            for slot, value in (parts.get(part) or {}).items():
                if isinstance(value, str) and value.strip().lower() not in EMPTY:
                    state[f'{domain}-{slot}'.lower()] = value.strip().lower()
    return state


def convert_multiwoz(path: str) -> List[dict]:
    """Dialogs of a MultiWOZ ``data.json`` (``{dialog_id: {"log": [turns]}}``).

    Args:
        path: the file.

    Returns:
        Dialogs in the JSONL dialog format; user turns labelled when they have dialog acts.

    Raises:
        FileNotFoundError, ValueError: a missing file, or a dialog / turn without the expected keys (named).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MultiWOZ file {path} does not exist')
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    if not isinstance(data, Mapping):
        raise ValueError(f'{path}: expected an object {{dialog_id: {{"log": [...]}}}}, got {type(data).__name__}')
    dialogs = []
    for dialog_id, dialog in data.items():
        log = dialog.get('log') if isinstance(dialog, Mapping) else None
        if not isinstance(log, list):
            raise ValueError(f'{path}: dialog {dialog_id!r} has no "log" list')
        turns = []
        for index, turn in enumerate(log):
            where = f'{path}: dialog {dialog_id!r} turn {index}'
            if not isinstance(turn, Mapping) or not isinstance(turn.get('text'), str):
                raise ValueError(f'{where}: key "text" missing or not a string')
            out = dict(speaker='user' if index % 2 == 0 else 'system', text=turn['text'])
            if index % 2 == 0:
                if turn.get('dialog_act'):
                    out['frame'] = multiwoz_frame(turn['dialog_act'], where)
                    out['frame'] = _with_spans(out['frame'], turn['text'], turn.get('span_info') or [])
                if index + 1 < len(log) and isinstance(log[index + 1], Mapping):
                    out['state'] = multiwoz_state(log[index + 1].get('metadata'))
            turns.append(out)
        dialogs.append(dict(dialog_id=str(dialog_id), turns=turns))
    return dialogs


def _with_spans(frame: dict, text: str, span_info: Sequence) -> dict:
    """Attach the character spans of ``span_info`` ``[act, slot, value, first_word, last_word]`` to the values."""
    words = _word_offsets(text)
    spans = {}
    for entry in span_info:
        if len(entry) == 5 and 0 <= entry[3] <= entry[4] < len(words):
            spans[(str(entry[1]).lower(), str(entry[2]).strip().lower())] = [words[entry[3]][0], words[entry[4]][1]]
    for intents in frame.values():
        for slots in intents.values():
            for slot, values in slots.items():
                slots[slot] = [dict(value=v, span=spans[slot, v]) if (slot, v) in spans else v for v in values]
    return frame


def convert_intent_file(path: str, domain: Optional[str] = None) -> List[dict]:
    """One single-turn dialog per labelled utterance of an intent-classification file.

    Args:
        path: DialoGLUE-style CSV with a ``text,category`` header (BANKING77 / CLINC150 / HWU64), or a ``.tsv`` /
            ``.txt`` file of ``text<TAB>label`` lines.
        domain: the domain of every turn (None: the placeholder, as SPACE-2 does for intent data).

    Returns:
        Dialogs ``{"dialog_id": "<file>-<n>", "turns": [{"speaker": "user", "text", "intent"[, "domain"]}]}``.

    Raises:
        FileNotFoundError, ValueError: a missing file, a CSV without ``text`` / ``category`` columns, or a row
            without text or label (file and line named).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'intent file {path} does not exist')
    name = osp.splitext(osp.basename(path))[0]
    dialogs = []
    with open(path, encoding='utf-8', newline='') as f:
        if path.endswith('.csv'):
            reader = csv.DictReader(f)
            missing = [c for c in ('text', 'category') if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f'{path}: the CSV header needs columns text and category, missing {missing} '
                                 f'(header: {reader.fieldnames})')
            rows = ((reader.line_num, r.get('text'), r.get('category')) for r in reader)
        else:
            rows = ((n, *(line.rstrip('\n').split('\t') + [None])[:2]) for n, line in enumerate(f, start=1)
                    if line.strip())
        for line_no, text, label in rows:
            if not (text or '').strip() or not (label or '').strip():
                raise ValueError(f'{path}:{line_no}: a row needs a text and a label, got text={text!r} '
                                 f'label={label!r}')
            turn = dict(speaker='user', text=text.strip(), intent=label.strip())
            if domain:
                turn['domain'] = domain
            dialogs.append(dict(dialog_id=f'{name}-{len(dialogs)}', turns=[turn]))
    if not dialogs:
        raise ValueError(f'{path}: no labelled utterance')
    return dialogs
