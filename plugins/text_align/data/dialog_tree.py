"""SPACE-2's semantic tree of a dialog turn: domain -> intent -> slot -> values, one schema for every annotation.

A tree (a "frame") is a nested dict ``{domain: {intent: {slot: [value, ...]}}}``. Annotations that lack a level use
the placeholders :data:`DEFAULT_DOMAIN` / :data:`DEFAULT_INTENT` (an intent-classification turn is
``{DEFAULT_DOMAIN: {intent: {}}}``, a slot-only turn ``{domain: {DEFAULT_INTENT: {slot: [value]}}}``), as the released
AnPreDial corpus does. Names and values are compared stripped and lower-cased (the released ``clean_frame``).
"""
from typing import Dict, Iterable, List, Mapping, Optional, Union

DEFAULT_DOMAIN = 'DEFAULT_DOMAIN'
DEFAULT_INTENT = 'DEFAULT_INTENT'
PLACEHOLDERS = (DEFAULT_DOMAIN.lower(), DEFAULT_INTENT.lower())

Frame = Dict[str, Dict[str, Dict[str, List[str]]]]


def _value_text(value: object, where: str) -> str:
    """A slot value: a string / number, or the released ``{'value': ..., 'span': ...}`` dict."""
    if isinstance(value, Mapping):
        if 'value' not in value:
            raise ValueError(f'{where}: a slot value dict needs a "value" key, got keys {sorted(value)}')
        value = value['value']
    if value is None or isinstance(value, (list, dict)):
        raise ValueError(f'{where}: a slot value must be a string or number, got {value!r}')
    return str(value).strip().lower()


def _values(values: object, where: str) -> List[str]:
    items = values if isinstance(values, (list, tuple)) else [values]
    return [_value_text(v, where) for v in items]


def clean_frame(frame: Mapping, where: str = 'frame') -> Frame:
    """Validate a tree and normalise it: names and values stripped and lower-cased, values as lists of strings.

    Args:
        frame: ``{domain: {intent: {slot: value | [values]}}}``; a value may be the released ``{'value': v}`` dict.
        where: what to name in error messages (e.g. ``'dialogs.jsonl:3 turn 2'``).

    Returns:
        The normalised frame.

    Raises:
        ValueError: a level is not a dict, a name is empty or not a string, or a value is malformed.
    """
    if not isinstance(frame, Mapping):
        raise ValueError(f'{where}: the frame must be a dict {{domain: {{intent: {{slot: values}}}}}}, got '
                         f'{type(frame).__name__}')
    cleaned: Frame = {}
    for domain, intents in frame.items():
        _check_name(domain, 'domain', where)
        if not isinstance(intents, Mapping):
            raise ValueError(f'{where}: domain {domain!r} must map intents to slots, got {intents!r}')
        level = cleaned.setdefault(domain.strip().lower(), {})
        for intent, slots in intents.items():
            _check_name(intent, 'intent', where)
            if not isinstance(slots, Mapping):
                raise ValueError(f'{where}: intent {intent!r} of domain {domain!r} must map slots to values, got '
                                 f'{slots!r}')
            slot_level = level.setdefault(intent.strip().lower(), {})
            for slot, values in slots.items():
                _check_name(slot, 'slot', where)
                slot_level.setdefault(slot.strip().lower(), []).extend(
                    _values(values, f'{where} slot {slot!r}'))
    return cleaned


def _check_name(name: object, level: str, where: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f'{where}: a {level} name must be a non-empty string, got {name!r}')


def frame_from_fields(domain: Optional[Union[str, Iterable[str]]] = None,
                      intent: Optional[Union[str, Iterable[str]]] = None,
                      slots: Optional[Union[Mapping, List[Mapping]]] = None, where: str = 'turn') -> Frame:
    """A tree from flat annotations: a domain, one or more intents and slot values (missing levels get the
    placeholders). Every intent of the turn gets all its slots.

    Args:
        domain: domain name(s); None -> :data:`DEFAULT_DOMAIN`.
        intent: intent name(s); None -> :data:`DEFAULT_INTENT`.
        slots: ``{slot: value | [values]}``, or a list of ``{'slot': name, 'value': v[, 'start', 'end']}``.
        where: what to name in error messages.

    Returns:
        The normalised frame (:func:`clean_frame`).

    Raises:
        ValueError: a slot entry with a value but no slot name (the turn is named), or malformed names.
    """
    domains = [DEFAULT_DOMAIN] if domain is None else ([domain] if isinstance(domain, str) else list(domain))
    intents = [DEFAULT_INTENT] if intent is None else ([intent] if isinstance(intent, str) else list(intent))
    slot_values: Dict[str, list] = {}
    if isinstance(slots, Mapping):
        for name, values in slots.items():
            slot_values.setdefault(name, []).extend(values if isinstance(values, (list, tuple)) else [values])
    elif slots is not None:
        if not isinstance(slots, (list, tuple)):
            raise ValueError(f'{where}: "slots" must be a dict or a list of {{"slot", "value"}} dicts, got '
                             f'{type(slots).__name__}')
        for k, entry in enumerate(slots):
            if not isinstance(entry, Mapping) or not entry.get('slot'):
                raise ValueError(f'{where}: slot entry {k} has a value but no slot name: {entry!r} (expected '
                                 '{"slot": name, "value": value})')
            if 'value' not in entry:
                raise ValueError(f'{where}: slot entry {k} ({entry["slot"]!r}) has no "value"')
            slot_values.setdefault(entry['slot'], []).append(entry['value'])
    tree = {d: {i: dict(slot_values) for i in intents} for d in domains}
    return clean_frame(tree, where)


def effective_frame(frame: Optional[Frame]) -> Frame:
    """The released ``fix_label``: a tree that has a domain without intents, or the placeholder intent without
    slots, counts as unlabelled (``{}``): it scores 0 against every other turn.

    Args:
        frame: a normalised frame or None.

    Returns:
        The frame, or ``{}``.
    """
    if not frame:
        return {}
    for intents in frame.values():
        if not intents:
            return {}
        for intent, slots in intents.items():
            if intent == DEFAULT_INTENT.lower() and not slots:
                return {}
    return frame
