"""Reader of the generic JSONL dialog format: one dialog per line, turns with optional semantic-tree labels.

A line::

    {"dialog_id": "d1", "turns": [
        {"speaker": "user", "text": "a cheap hotel in the north", "domain": "hotel", "intent": "find_hotel",
         "slots": [{"slot": "price", "value": "cheap", "start": 2, "end": 7}, {"slot": "area", "value": "north"}],
         "state": {"hotel-price": "cheap", "hotel-area": "north"}},
        {"speaker": "system", "text": "the acorn guest house?"},
        {"speaker": "user", "text": "yes please", "frame": {"hotel": {"affirm": {}}}}]}

A turn is labelled when it has ``frame`` (a full tree, see :mod:`.dialog_tree`) or any of ``domain`` / ``intent`` /
``slots`` (flat labels; ``slots`` as a dict ``{slot: value}`` or a list of ``{"slot", "value"[, "start", "end"]}``).
``state`` is the dialog state after the turn (``{"domain-slot": value}``), for joint goal accuracy. ``speaker``
(or ``role``) defaults to alternating user / system from the first turn.
"""
import json
import re
from typing import Dict, List, Mapping, Optional, Tuple

from .dialog_tree import Frame, clean_frame, frame_from_fields
from .jsonl import jsonl_records

LABEL_KEYS = ('domain', 'intent', 'slots')
SPEAKERS = ('user', 'system')


def _spans_of(text: str, entries: List[Tuple[str, object, Optional[int], Optional[int]]],
              where: str) -> List[Tuple[int, int, str]]:
    """Character spans ``(start, end, slot)`` of slot values: given offsets, else the first case-insensitive match of
    the value in the text (values not in the text get no span)."""
    spans = []
    for slot, value, start, end in entries:
        if start is not None and end is not None:
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                raise ValueError(f'{where}: slot {slot!r} has span [{start}, {end}] outside the text of '
                                 f'{len(text)} characters')
            spans.append((start, end, slot.strip().lower()))
            continue
        value = str(value.get('value') if isinstance(value, Mapping) else value).strip()
        match = re.search(r'(?<!\w)' + re.escape(value) + r'(?!\w)', text, flags=re.IGNORECASE) if value else None
        if match:
            spans.append((match.start(), match.end(), slot.strip().lower()))
    return sorted(spans)


def _slot_entries(turn: Mapping) -> List[Tuple[str, object, Optional[int], Optional[int]]]:
    """(slot, value, start, end) of every slot value of a turn, from ``slots`` or from ``frame``."""
    entries = []
    slots = turn.get('slots')
    if isinstance(slots, Mapping):
        for name, values in slots.items():
            for value in values if isinstance(values, (list, tuple)) else [values]:
                entries.append((name, value, None, None))
    elif isinstance(slots, (list, tuple)):
        entries += [(e['slot'], e['value'], e.get('start'), e.get('end')) for e in slots]
    for intents in (turn.get('frame') or {}).values():
        for slot_values in intents.values():
            for name, values in slot_values.items():
                for value in values if isinstance(values, (list, tuple)) else [values]:
                    span = value.get('span') if isinstance(value, Mapping) else None
                    entries.append((name, value, *(span if span else (None, None))))
    return entries


def parse_turn(turn: object, index: int, where: str) -> Dict[str, object]:
    """Validate one turn and normalise its labels.

    Args:
        turn: the JSON object of the turn.
        index: its position in the dialog (sets the default speaker).
        where: ``file:line`` of the dialog, for error messages.

    Returns:
        ``dict(text, speaker, frame (normalised or None), spans [(start, end, slot)], state (dict or None),
        labelled)``.

    Raises:
        ValueError: a malformed turn, e.g. a slot value without a slot name (the turn is named).
    """
    where = f'{where} turn {index}'
    if not isinstance(turn, Mapping):
        raise ValueError(f'{where}: a turn must be an object with "text", got {turn!r}')
    text = turn.get('text')
    if not isinstance(text, str):
        raise ValueError(f'{where}: key "text" must be a string, got {text!r}')
    speaker = str(turn.get('speaker', turn.get('role', SPEAKERS[index % 2]))).lower()
    if speaker not in SPEAKERS:
        raise ValueError(f'{where}: key "speaker" must be one of {SPEAKERS}, got {speaker!r}')
    frame: Optional[Frame] = None
    if turn.get('frame') is not None:
        if any(k in turn for k in LABEL_KEYS):
            raise ValueError(f'{where}: give either "frame" or the flat labels {LABEL_KEYS}, not both')
        frame = clean_frame(turn['frame'], where)
    elif any(turn.get(k) is not None for k in LABEL_KEYS):
        frame = frame_from_fields(turn.get('domain'), turn.get('intent'), turn.get('slots'), where)
    state = turn.get('state')
    if state is not None and not (isinstance(state, Mapping) and all(isinstance(k, str) for k in state)):
        raise ValueError(f'{where}: key "state" must map "domain-slot" names to values, got {state!r}')
    return dict(text=text, speaker=speaker, frame=frame, spans=_spans_of(text, _slot_entries(turn), where),
                state=None if state is None else {k.strip().lower(): str(v).strip().lower() for k, v in state.items()},
                labelled=frame is not None)


def read_dialogs(path: str) -> List[Dict[str, object]]:
    """Read a JSONL dialog file.

    Args:
        path: the ``.jsonl`` file.

    Returns:
        One ``dict(dialog_id, turns=[parse_turn(...)])`` per line.

    Raises:
        FileNotFoundError, ValueError: a missing file, an empty file, invalid JSON, a missing ``turns`` key or a
            bad turn; the message names the file, the line and the key.
    """
    dialogs = []
    for where, line_no, record in jsonl_records(path, 'read_dialogs', 'dialog'):
        if not isinstance(record, Mapping) or not isinstance(record.get('turns'), list):
            raise ValueError(f'{where}: a dialog needs a "turns" list, got keys '
                             f'{sorted(record) if isinstance(record, Mapping) else type(record).__name__}')
        turns = [parse_turn(t, i, where) for i, t in enumerate(record['turns'])]
        dialogs.append(dict(dialog_id=str(record.get('dialog_id', line_no)), turns=turns))
    return dialogs


def write_dialogs(dialogs: List[Mapping], path: str) -> None:
    """Write dialogs (``{"dialog_id", "turns"}`` objects in the format above) as JSONL."""
    with open(path, 'w', encoding='utf-8') as f:
        for dialog in dialogs:
            f.write(json.dumps(dialog, ensure_ascii=False) + '\n')
