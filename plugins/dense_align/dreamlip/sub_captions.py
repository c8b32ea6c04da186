"""DreamLIP's sub-captions: a long (MLLM-written) caption split into sentences, of which ``num_text`` are sampled per
training iteration next to the short caption (``training/data.py`` of zyf0619sjtu/DreamLIP)."""
import re
from typing import List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import TRANSFORMS

_SENTENCE_BREAK = re.compile(r'\n|</s>|[.]')


def split_sentences(text: str) -> List[str]:
    """Split a long caption on ``.``, newlines and ``</s>``; pieces are stripped and empty ones dropped.

    Args:
        text: the long caption.

    Returns:
        Its sentences, in order (empty when it holds none).
    """
    return [piece.strip() for piece in _SENTENCE_BREAK.split(text) if piece.strip()]


def draw_starts(num_windows: int, k: int, rng: np.random.Generator) -> List[int]:
    """``k`` window starts among ``num_windows``: distinct when there are enough, else drawn with replacement (as
    DreamLIP's ``draw_numbers``: ``random.sample`` / ``random.choices``).

    Args:
        num_windows: how many starts there are (> 0).
        k: how many to draw.
        rng: the random generator.

    Returns:
        ``k`` start indices.
    """
    if num_windows >= k:
        return [int(i) for i in rng.choice(num_windows, size=k, replace=False)]
    return [int(i) for i in rng.integers(0, num_windows, size=k)]


@TRANSFORMS.register_module()
class SampleSubCaptions(BaseTransform):
    """Sample ``num_text`` sub-captions of an image's long caption(s); the short caption stays ``caption``.

    Each sub-caption is ``merged_num`` adjacent sentences joined with ``'. '``. A sample whose long caption holds no
    sentence gets its short caption in every slot (so that every sample has ``num_text`` of them); such samples are
    counted in ``num_without_sentences``, not fatal.

    Args:
        num_text: sub-captions per sample (DreamLIP: 6).
        merged_num: adjacent sentences per sub-caption (DreamLIP: 1).
        long_keys: results keys holding long captions (a string or a list of strings each); their sentences are
            pooled in this order, as DreamLIP pools its six MLLM captions.
        seed: None draws from numpy's global generator (seeded per worker by mmengine); an int makes the draw a
            function of ``(seed, sample_idx, visit)`` only, so two runs give the same sub-captions.

    Results keys: reads ``caption`` and ``long_keys`` (and ``sample_idx`` with a seed); writes ``sub_captions``.
    """

    def __init__(self, num_text: int = 6, merged_num: int = 1, long_keys: Sequence[str] = ('long_caption', ),
                 seed: Optional[int] = None) -> None:
        if num_text < 1 or merged_num < 1:
            raise ValueError(f'SampleSubCaptions: num_text and merged_num must be >= 1, got {num_text}, {merged_num}')
        self.num_text = num_text
        self.merged_num = merged_num
        self.long_keys = [long_keys] if isinstance(long_keys, str) else list(long_keys)
        self.seed = seed
        self.num_without_sentences = 0
        self._visits: dict = {}

    def _rng(self, results: dict) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(np.random.randint(0, 2**31 - 1))
        idx = int(results.get('sample_idx', 0))
        visit = self._visits.get(idx, 0)
        self._visits[idx] = visit + 1
        return np.random.default_rng([self.seed, idx, visit])

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``caption`` (the short caption) and the long caption keys.

        Returns:
            ``results`` with ``sub_captions``: ``num_text`` strings.
        """
        if not isinstance(results.get('caption'), str):
            raise KeyError('SampleSubCaptions: results need the short "caption" (put SampleCaption before it)')
        sentences: List[str] = []
        for key in self.long_keys:
            value = results.get(key) or []
            for text in [value] if isinstance(value, str) else value:
                sentences += split_sentences(text)
        num_windows = len(sentences) - self.merged_num + 1
        if num_windows < 1:
            self.num_without_sentences += 1
            results['sub_captions'] = [results['caption']] * self.num_text
            return results
        starts = draw_starts(num_windows, self.num_text, self._rng(results))
        results['sub_captions'] = ['. '.join(sentences[s:s + self.merged_num]) for s in starts]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_text={self.num_text}, merged_num={self.merged_num}, '
                f'long_keys={self.long_keys}, seed={self.seed})')
