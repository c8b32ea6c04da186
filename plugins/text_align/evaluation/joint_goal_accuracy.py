"""Dialog state tracking joint goal accuracy (MultiWOZ, as TripPy reports it): a turn counts when every slot of the
predicted dialog state equals the gold state."""
from typing import Dict, Mapping, Optional, Sequence

#: Values that mean "slot not filled" and are dropped before comparing (MultiWOZ's ``not mentioned``, ``none``, '').
EMPTY_VALUES = ('', 'none', 'not mentioned')


def normalise_state(state: Optional[Mapping[str, object]]) -> Dict[str, str]:
    """A dialog state ``{"domain-slot": value}`` with names and values stripped and lower-cased, empty slots dropped."""
    out = {}
    for slot, value in (state or {}).items():
        value = str(value).strip().lower()
        if value not in EMPTY_VALUES:
            out[str(slot).strip().lower()] = value
    return out


def joint_goal_accuracy(predicted: Sequence[Optional[Mapping[str, object]]],
                        gold: Sequence[Optional[Mapping[str, object]]]) -> Dict[str, float]:
    """Share of turns whose whole predicted state equals the gold state, and the per-slot accuracy.

    Args:
        predicted: per turn, the predicted state after it.
        gold: per turn, the gold state.

    Returns:
        ``{'joint_goal_accuracy': %, 'slot_accuracy': %, 'turns': n}``; slot accuracy is over the slots named in
        either state of each turn.

    Raises:
        ValueError: the lists differ in length or are empty.
    """
    if len(predicted) != len(gold) or not gold:
        raise ValueError(f'joint_goal_accuracy: need equally long non-empty lists, got {len(predicted)} predicted '
                         f'and {len(gold)} gold states')
    joint, slot_hits, slot_total = 0, 0, 0
    for pred, true in zip(predicted, gold):
        pred, true = normalise_state(pred), normalise_state(true)
        joint += pred == true
        names = set(pred) | set(true)
        slot_hits += sum(pred.get(n) == true.get(n) for n in names)
        slot_total += len(names)
    return dict(joint_goal_accuracy=100.0 * joint / len(gold),
                slot_accuracy=100.0 * slot_hits / slot_total if slot_total else 100.0, turns=float(len(gold)))
