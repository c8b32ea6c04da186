"""Intent accuracy as DialoGLUE scores BANKING77 / CLINC150 / HWU64: exact-match accuracy over utterances."""
from typing import Dict, Sequence


def intent_accuracy(predicted: Sequence[str], gold: Sequence[str]) -> Dict[str, float]:
    """Share of utterances whose predicted intent equals the gold one (names compared stripped, lower-cased).

    Args:
        predicted: predicted intent per utterance.
        gold: gold intent per utterance.

    Returns:
        ``{'accuracy': %, 'count': n}``.

    Raises:
        ValueError: the two lists differ in length or are empty.
    """
    if len(predicted) != len(gold) or not gold:
        raise ValueError(f'intent_accuracy: need equally long non-empty lists, got {len(predicted)} predictions '
                         f'and {len(gold)} gold intents')
    hits = sum(str(p).strip().lower() == str(g).strip().lower() for p, g in zip(predicted, gold))
    return dict(accuracy=100.0 * hits / len(gold), count=float(len(gold)))
