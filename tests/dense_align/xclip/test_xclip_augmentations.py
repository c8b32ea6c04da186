"""X-CLIP's training data recipe against mmaction's pipeline as VideoX X-CLIP configures it (``datasets/build.py``,
``datasets/pipeline.py``): TSN sampling with integer segments, multi-scale crop at 5 fixed positions, clip-wide flip,
colour jitter with its own factors per frame, clip-wide grayscale."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from torchvision.transforms import ColorJitter

from dense_align.registry import TRANSFORMS
from dense_align.xclip import multi_scale_crop_candidates, tsn_indices

SCALES = (1, 0.875, 0.75, 0.66)


@pytest.fixture(autouse=True)
def dense_align_scope():
    init_default_scope('dense_align')  # other tests may leave another scope current


def clip_of(frames: int = 3, h: int = 40, w: int = 48, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(frames)]


def test_training_sampling_uses_integer_segments():
    rng = np.random.default_rng(0)
    draws = np.stack([tsn_indices(18, 4, 1, False, rng) for _ in range(300)])  # avg_interval = 18 // 4 = 4
    assert draws.max() == 15  # frames 16 and 17 (18 % 4) are never drawn
    assert (draws // 4 == np.arange(4)).all() and len(np.unique(draws)) == 16
    assert tsn_indices(6, 4, 1, False, rng).tolist() == [0, 1, 2, 3]  # interval 1: no randomness
    assert tsn_indices(3, 4, 1, False, rng).tolist() == [0, 1, 2, 2]  # shorter than T: round(i * 3 / 4)
    assert tsn_indices(5, 8, 1, False, rng).tolist() == [0, 1, 1, 2, 2, 3, 4, 4]  # half to even: 2.5 -> 2
    two = tsn_indices(16, 4, 2, False, np.random.default_rng(1)).reshape(2, 4)
    assert (two // 4 == np.arange(4)).all() and not (two[0] == two[1]).all()  # each clip its own offsets


def test_crop_sizes_and_the_five_fixed_positions():
    sizes, offsets = multi_scale_crop_candidates(40, 48, 24, SCALES, 1)
    # short side 40: sides 40, 35, 30, 26 -> 24 (within 2 px of the output size); |w index - h index| <= 1
    assert sizes == [(40, 40), (35, 40), (40, 35), (35, 35), (30, 35), (35, 30), (30, 30), (24, 30), (30, 24),
                     (24, 24)]
    assert offsets(30, 30) == [(0, 0), (16, 0), (0, 8), (16, 8), (8, 4)]  # steps (48-30)//4 = 4, (40-30)//4 = 2
    crop = TRANSFORMS.build(dict(type='VideoMultiScaleCrop', size=24, scales=SCALES))
    allowed = {(left, top, left + w, top + h) for w, h in sizes for left, top in offsets(w, h)}
    seen = set()
    np.random.seed(0)
    for _ in range(300):
        frames = clip_of()
        out = crop.transform(dict(imgs=[f.copy() for f in frames]))
        left, top, right, bottom = (int(v) for v in out['crop_bbox'])
        seen.add((left, top, right, bottom))
        for frame, img in zip(frames, out['imgs']):  # the same box on every frame
            np.testing.assert_array_equal(img, cv2.resize(frame[top:bottom, left:right], (24, 24),
                                                          interpolation=cv2.INTER_LINEAR))
    assert seen <= allowed and len({(b[0], b[1]) for b in seen if b[2] - b[0] == 30 and b[3] - b[1] == 30}) == 5


def test_flip_mirrors_every_frame_or_none():
    frames = clip_of()
    flipped = TRANSFORMS.build(dict(type='VideoFlip', prob=1.0)).transform(dict(imgs=list(frames)))['imgs']
    assert all(np.array_equal(a, b[:, ::-1]) for a, b in zip(flipped, frames))
    kept = TRANSFORMS.build(dict(type='VideoFlip', prob=0.0)).transform(dict(imgs=list(frames)))['imgs']
    assert all(np.array_equal(a, b) for a, b in zip(kept, frames))


def test_colour_jitter_draws_new_factors_for_every_frame():
    frame = clip_of(1)[0]
    np.random.seed(0)
    torch.manual_seed(3)
    out = TRANSFORMS.build(dict(type='VideoColorJitter', prob=1.0, gray_prob=0.0)).transform(
        dict(imgs=[frame.copy() for _ in range(4)]))['imgs']
    assert not any(np.array_equal(out[0], img) for img in out[1:])  # identical frames come out different
    torch.manual_seed(3)  # the reference: one torchvision ColorJitter call per frame, in order
    jitter = ColorJitter(0.4, 0.4, 0.2, 0.1)
    rgb = torch.from_numpy(frame[..., ::-1].copy()).permute(2, 0, 1)
    for img in out:
        expected = jitter(rgb).permute(1, 2, 0).numpy()[..., ::-1]
        np.testing.assert_array_equal(img, expected)


def test_grayscale_applies_to_the_whole_clip():
    np.random.seed(0)
    out = TRANSFORMS.build(dict(type='VideoColorJitter', prob=0.0, gray_prob=1.0)).transform(
        dict(imgs=clip_of()))['imgs']
    assert all((img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all() for img in out)
