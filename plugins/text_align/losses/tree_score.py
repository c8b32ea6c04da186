"""SPACE-2's multi-view score of two semantic trees (released ``space/utils/scores.py::hierarchical_set_score``).

Ten views of a tree, each a set: 4 node views (domains D, intents I, slots S, values V), 3 edge views (DI, IS, SV)
and 3 path views (DIS, ISV, DISV). Two trees score the Jaccard similarity of each view. The released rules:

* a tree that is empty (after ``fix_label``, see :func:`~text_align.data.dialog_tree.effective_frame`) scores 0 in
  every view against anything;
* every element that involves a placeholder (``DEFAULT_DOMAIN`` / ``DEFAULT_INTENT``) is dropped from every view;
* a view empty in both trees scores 0 and is left out of the mean (the combined score averages the other views);
* identical trees score 1 combined.
"""
from typing import Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

from ..data.dialog_tree import PLACEHOLDERS, Frame, effective_frame

#: The subspace names, in the released order (``space/modules/subspace.py``).
VIEWS = ('D', 'I', 'S', 'V', 'DI', 'IS', 'SV', 'DIS', 'ISV', 'DISV')


def tree_views(frame: Frame) -> Tuple[Set[tuple], ...]:
    """The 10 views of a normalised tree, as sets of tuples (a node is a 1-tuple, an edge a 2-tuple, ...).

    Args:
        frame: ``{domain: {intent: {slot: [values]}}}`` (normalised, see ``clean_frame``).

    Returns:
        Ten sets in :data:`VIEWS` order, without any element that contains a placeholder.
    """
    views: List[Set[tuple]] = [set() for _ in VIEWS]
    for domain, intents in frame.items():
        views[0].add((domain, ))
        for intent, slots in intents.items():
            views[1].add((intent, ))
            views[4].add((domain, intent))
            for slot, values in slots.items():
                views[2].add((slot, ))
                views[5].add((intent, slot))
                views[7].add((domain, intent, slot))
                for value in values:
                    views[3].add((value, ))
                    views[6].add((slot, value))
                    views[8].add((intent, slot, value))
                    views[9].add((domain, intent, slot, value))
    return tuple({e for e in view if not any(name in PLACEHOLDERS for name in e)} for view in views)


def jaccard(first: Set[tuple], second: Set[tuple]) -> Tuple[float, bool]:
    """Jaccard similarity and whether it counts (False when both sets are empty: score 0, left out of the mean)."""
    union = len(first | second)
    return (len(first & second) / union, True) if union else (0.0, False)


def view_scores(first: Optional[Frame], second: Optional[Frame]) -> Tuple[np.ndarray, np.ndarray]:
    """Per-view Jaccard scores of two trees.

    Args:
        first: a normalised tree (None / ``{}``: unlabelled).
        second: another.

    Returns:
        ``(scores, counted)``: (10,) float scores and (10,) bools (False: the view is empty in both trees, or a
        tree is empty).
    """
    first, second = effective_frame(first), effective_frame(second)
    if not (first and second):
        return np.zeros(len(VIEWS)), np.zeros(len(VIEWS), dtype=bool)
    pairs = [jaccard(a, b) for a, b in zip(tree_views(first), tree_views(second))]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def combined_score(first: Optional[Frame], second: Optional[Frame]) -> float:
    """The mean of the counted view scores (the released single score): 0 when a tree is empty, 1 when the trees
    are equal. Where no view counts (two different trees whose every element is a placeholder) the released code
    divides by zero; this returns 0.

    Args:
        first: a normalised tree.
        second: another.

    Returns:
        A score in [0, 1].
    """
    first, second = effective_frame(first), effective_frame(second)
    if not (first and second):
        return 0.0
    if first == second:
        return 1.0
    scores, counted = view_scores(first, second)
    return float(scores.sum() / counted.sum()) if counted.any() else 0.0


def score_matrices(frames: Sequence[Optional[Frame]], views: Optional[Iterable[int]] = None) -> np.ndarray:
    """One symmetric score matrix per view for a batch of trees, with 1 on the diagonal (a turn is its own positive
    even when its tree is empty), as the released ``build_score_multiple_matrix_on_the_fly``.

    Args:
        frames: B normalised trees.
        views: indices into :data:`VIEWS` (default: all 10).

    Returns:
        (V, B, B) float32 array.
    """
    views = list(range(len(VIEWS))) if views is None else list(views)
    size = len(frames)
    out = np.repeat(np.eye(size, dtype=np.float32)[None], len(views), axis=0)
    for i in range(size):
        for j in range(i + 1, size):
            scores = view_scores(frames[i], frames[j])[0][views]
            out[:, i, j] = out[:, j, i] = scores
    return out
