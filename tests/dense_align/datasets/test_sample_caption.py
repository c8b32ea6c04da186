"""SampleCaption: a random caption per training iteration (seeded), all captions kept, the first for evaluation."""
from collections import Counter

import numpy as np
import pytest

from dense_align.datasets.image_text import SampleCaption
from dense_align.registry import TRANSFORMS

CAPTIONS = ['c0', 'c1', 'c2', 'c3', 'c4']


def _draws(transform, n=400):
    return [transform(dict(img_id=1, captions=list(CAPTIONS)))['caption'] for _ in range(n)]


def test_training_draws_every_caption_uniformly_and_reproducibly():
    transform = TRANSFORMS.build(dict(type='SampleCaption', seed=3))
    draws = _draws(transform)
    # the sequence is numpy's Generator seeded by (seed, rank 0, main process), drawn one index per call
    rng = np.random.default_rng([3, 0, 0])
    assert draws == [CAPTIONS[int(rng.integers(5))] for _ in range(400)]
    assert draws == _draws(SampleCaption(seed=3))
    assert draws != _draws(SampleCaption(seed=4))
    counts = Counter(draws)
    assert set(counts) == set(CAPTIONS) and min(counts.values()) > 50  # 80 expected each


def test_unseeded_draws_follow_numpys_global_seed():
    np.random.seed(0)
    first = _draws(SampleCaption(), 50)
    np.random.seed(0)
    assert _draws(SampleCaption(), 50) == first
    np.random.seed(0)
    assert first == [CAPTIONS[np.random.randint(5)] for _ in range(50)]


def test_evaluation_keeps_all_captions_and_uses_the_first():
    out = SampleCaption(test_mode=True)(dict(img_id=1, captions=list(CAPTIONS)))
    assert out['captions'] == CAPTIONS and out['caption'] == 'c0'
    assert SampleCaption(seed=0)(dict(captions=list(CAPTIONS)))['captions'] == CAPTIONS


def test_bad_captions_name_the_item():
    with pytest.raises(KeyError, match="item a.jpg has no \"captions\""):
        SampleCaption()(dict(img_path='a.jpg', caption='x'))
    with pytest.raises(ValueError, match='"captions" of item b.jpg must be a non-empty list'):
        SampleCaption()(dict(img_path='b.jpg', captions=[]))
