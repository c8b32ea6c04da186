"""Random resized crops and flips that record where each view lies in the original image (PixPro's coordinate
tracking)."""
import math
from typing import Tuple

import numpy as np


def sample_crop(height: int, width: int, rng: np.random.Generator, scale: Tuple[float, float] = (0.08, 1.0),
                ratio: Tuple[float, float] = (3 / 4, 4 / 3)) -> Tuple[int, int, int, int]:
    """A random resized crop as torchvision samples it (10 tries, then a centre crop).

    Args:
        height: image height.
        width: image width.
        rng: random generator.
        scale: range of the crop area as a fraction of the image.
        ratio: range of the crop aspect ratio (width / height), sampled log-uniformly.

    Returns:
        ``(top, left, crop_height, crop_width)``.
    """
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


def view_box(top: int, left: int, crop_h: int, crop_w: int, height: int, width: int, flipped: bool) -> np.ndarray:
    """The view's box ``(x1, y1, x2, y2)`` in the original image, each axis normalised by (size - 1); a horizontal
    flip swaps x1 and x2 (as the reference code does).

    Args:
        top: crop's top row.
        left: crop's left column.
        crop_h: crop height.
        crop_w: crop width.
        height: image height.
        width: image width.
        flipped: whether the view was flipped horizontally.

    Returns:
        float32 array of 4 values.
    """
    x1, y1 = left / (width - 1), top / (height - 1)
    x2, y2 = (left + crop_w - 1) / (width - 1), (top + crop_h - 1) / (height - 1)
    if flipped:
        x1, x2 = x2, x1
    return np.array([x1, y1, x2, y2], dtype=np.float32)
