"""The selection steps of I2E: keep an image's candidate entities that its CLIP score supports, then drop entities
with too few images."""
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .entity_table import EntityId


@dataclass(frozen=True)
class ScoreFilter:
    """Which candidates of one image to keep, by CLIP image-text cosine similarity (the paper's thresholds are not
    stated).

    Args:
        min_score: absolute threshold (None: off).
        top_k: keep at most the k best candidates (None: off).
        margin: keep candidates within ``margin`` of the image's best one (None: off).
    """
    min_score: Optional[float] = None
    top_k: Optional[int] = None
    margin: Optional[float] = None

    def __post_init__(self) -> None:
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f'ScoreFilter: top_k must be >= 1, got {self.top_k}')
        if self.margin is not None and self.margin < 0:
            raise ValueError(f'ScoreFilter: margin must be >= 0, got {self.margin}')

    def steps(self, candidates: Sequence[Tuple[EntityId, float]]) -> Dict[str, List[Tuple[EntityId, float]]]:
        """The candidates left after each step (``min_score``, ``margin``, ``top_k``, in that order).

        Args:
            candidates: ``(entity id, score)``; repeats of an id keep their best score.

        Returns:
            Step name -> surviving candidates, best first (the last step's list is the result).
        """
        best: Dict[EntityId, float] = {}
        for entity, score in candidates:
            best[entity] = max(score, best.get(entity, -float('inf')))
        kept = sorted(best.items(), key=lambda item: -item[1])
        out = {'candidates': kept}
        if self.min_score is not None:
            kept = [c for c in kept if c[1] >= self.min_score]
        out['min_score'] = kept
        if self.margin is not None and kept:
            kept = [c for c in kept if c[1] >= kept[0][1] - self.margin]
        out['margin'] = kept
        if self.top_k is not None:
            kept = kept[:self.top_k]
        out['top_k'] = kept
        return out


def drop_rare_entities(labels: Sequence[List[EntityId]], min_images: int) -> Tuple[List[List[EntityId]], Counter]:
    """Remove entities labelling fewer than ``min_images`` images (counted once per image).

    Args:
        labels: entity ids of each image.
        min_images: the frequency cut-off.

    Returns:
        ``(labels, counts)``: each image's surviving ids (possibly empty) and the image count of every surviving
        entity.
    """
    counts = Counter(e for row in labels for e in dict.fromkeys(row))
    kept = {e for e, n in counts.items() if n >= min_images}
    return [[e for e in dict.fromkeys(row) if e in kept] for row in labels], Counter({e: counts[e] for e in kept})
