"""X-CLIP's video augmentations (crop and flip drawn once per clip, colour jitter per frame) and packing."""
from typing import Callable, List, Sequence, Tuple

import cv2
import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement
from torchvision.transforms import ColorJitter

from ..registry import TRANSFORMS


def _resize(imgs: List[np.ndarray], width: int, height: int) -> List[np.ndarray]:
    return [cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR) for img in imgs]


def _crop(imgs: List[np.ndarray], top: int, left: int, height: int, width: int) -> List[np.ndarray]:
    return [img[top:top + height, left:left + width] for img in imgs]


@TRANSFORMS.register_module()
class VideoResize(BaseTransform):
    """Resize every frame so that its short side is ``short_side`` (aspect kept).

    Args:
        short_side: target short side (X-CLIP: int(256 / 224 * input size)).
    """

    def __init__(self, short_side: int) -> None:
        self.short_side = short_side

    def transform(self, results: dict) -> dict:
        h, w = results['imgs'][0].shape[:2]
        scale = self.short_side / min(h, w)
        results['imgs'] = _resize(results['imgs'], max(1, round(w * scale)), max(1, round(h * scale)))
        results['img_shape'] = results['imgs'][0].shape[:2]
        return results


def multi_scale_crop_candidates(h: int, w: int, size: int, scales: Sequence[float],
                                max_wh_scale_gap: int) -> Tuple[List[Tuple[int, int]], Callable]:
    """TSN's crop sizes and fixed offsets.

    Args:
        h: frame height.
        w: frame width.
        size: output side; a crop side within 2 pixels of it is snapped to it (as mmaction's ``MultiScaleCrop``).
        scales: fractions of the short side.
        max_wh_scale_gap: largest index gap between the width and the height scale.

    Returns:
        The (crop_w, crop_h) candidates, and a function of (crop_w, crop_h) giving the 5 (left, top) offsets:
        upper left, upper right, lower left, lower right, centre, on a grid of a quarter of the free space.
    """
    sides = [int(min(h, w) * s) for s in scales]
    sizes = [(size if abs(cw - size) < 3 else cw, size if abs(ch - size) < 3 else ch)
             for i, ch in enumerate(sides) for j, cw in enumerate(sides) if abs(i - j) <= max_wh_scale_gap]

    def offsets(crop_w: int, crop_h: int) -> List[Tuple[int, int]]:
        w_step, h_step = (w - crop_w) // 4, (h - crop_h) // 4
        return [(0, 0), (4 * w_step, 0), (0, 4 * h_step), (4 * w_step, 4 * h_step), (2 * w_step, 2 * h_step)]

    return sizes, offsets


@TRANSFORMS.register_module()
class VideoMultiScaleCrop(BaseTransform):
    """TSN's multi-scale crop as X-CLIP uses it (mmaction ``MultiScaleCrop(random_crop=False)``): crop width
    and height each a scale of the short side (scales at most ``max_wh_scale_gap`` apart; a side within 2 pixels
    of ``size`` becomes ``size``), at one of 5 fixed positions (the corners and the centre), resized to ``size``
    x ``size``; one draw per clip.

    Args:
        size: output side.
        scales: fractions of the short side.
        max_wh_scale_gap: largest index gap between the width and the height scale.
    """

    def __init__(self, size: int, scales: Sequence[float] = (1, 0.875, 0.75, 0.66), max_wh_scale_gap: int = 1) -> None:
        self.size, self.scales, self.gap = size, tuple(scales), max_wh_scale_gap

    def transform(self, results: dict) -> dict:
        h, w = results['imgs'][0].shape[:2]
        sizes, offsets = multi_scale_crop_candidates(h, w, self.size, self.scales, self.gap)
        crop_w, crop_h = sizes[np.random.randint(len(sizes))]
        candidates = offsets(crop_w, crop_h)
        left, top = candidates[np.random.randint(len(candidates))]
        results['imgs'] = _resize(_crop(results['imgs'], top, left, crop_h, crop_w), self.size, self.size)
        results['crop_bbox'] = np.array([left, top, left + crop_w, top + crop_h])
        results['img_shape'] = (self.size, self.size)
        return results


@TRANSFORMS.register_module()
class VideoFlip(BaseTransform):
    """Horizontal flip of the whole clip with probability ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['imgs'] = [np.ascontiguousarray(img[:, ::-1]) for img in results['imgs']]
        return results


@TRANSFORMS.register_module()
class VideoColorJitter(BaseTransform):
    """With probability ``prob`` colour jitter on every frame, each frame with its own random factors (X-CLIP's
    ``ColorJitter``: one torchvision ``ColorJitter`` call per frame); then, with ``gray_prob``, the whole clip in
    grayscale.

    Args:
        prob: probability of the jitter (X-CLIP 0.8); drawn once per clip.
        brightness: as torchvision's ColorJitter.
        contrast: same.
        saturation: same.
        hue: same.
        gray_prob: probability of converting the clip to grayscale (X-CLIP 0.2).
    """

    def __init__(self, prob: float = 0.8, brightness: float = 0.4, contrast: float = 0.4, saturation: float = 0.2,
                 hue: float = 0.1, gray_prob: float = 0.2) -> None:
        self.prob, self.gray_prob = prob, gray_prob
        self.jitter = ColorJitter(brightness, contrast, saturation, hue)

    def transform(self, results: dict) -> dict:
        jitter, gray = np.random.rand() < self.prob, np.random.rand() < self.gray_prob
        if not (jitter or gray):
            return results
        clip = torch.from_numpy(np.stack(results['imgs'])[..., ::-1].copy()).permute(0, 3, 1, 2)  # T, 3, H, W RGB
        if jitter:
            clip = torch.stack([self.jitter(frame) for frame in clip])  # new factors for every frame
        if gray:
            clip = TF.rgb_to_grayscale(clip, num_output_channels=3)
        results['imgs'] = list(clip.permute(0, 2, 3, 1).numpy()[..., ::-1].copy())
        return results


def _crop_boxes(h: int, w: int, size: int, three: bool) -> List[Tuple[int, int]]:
    """Top-left corners of the centre crop, or of three crops along the long side."""
    centre = ((h - size) // 2, (w - size) // 2)
    if not three:
        return [centre]
    if w >= h:
        return [(centre[0], 0), centre, (centre[0], w - size)]
    return [(0, centre[1]), centre, (h - size, centre[1])]


@TRANSFORMS.register_module()
class VideoCenterCrop(BaseTransform):
    """Centre crop (``three_crop=False``) or three crops covering the long side (the paper's test views), each
    ``size`` x ``size``; frames must be at least that large (resize the short side to ``size`` first).

    Args:
        size: crop side.
        three_crop: return three crops (views are then ``num_clips * 3``, crop-major).
    """

    def __init__(self, size: int, three_crop: bool = False) -> None:
        self.size, self.three_crop = size, three_crop

    def transform(self, results: dict) -> dict:
        h, w = results['imgs'][0].shape[:2]
        if min(h, w) < self.size:
            raise ValueError(f'VideoCenterCrop: frames of {results.get("filename")} are {h}x{w}, smaller than '
                             f'the {self.size} crop; resize them first (VideoResize)')
        imgs = []
        for top, left in _crop_boxes(h, w, self.size, self.three_crop):
            imgs += _crop(results['imgs'], top, left, self.size, self.size)
        results['imgs'] = imgs
        results['num_crops'] = 3 if self.three_crop else 1
        results['img_shape'] = (self.size, self.size)
        return results


@TRANSFORMS.register_module()
class PackVideoInputs(BaseTransform):
    """``imgs`` (views x T frames, BGR) -> ``inputs`` (views, T, 3, H, W) RGB uint8; label and file into a data
    sample (``gt_label``; metainfo ``filename``, ``num_clips``, ``num_crops``)."""

    def transform(self, results: dict) -> dict:
        imgs = np.stack(results['imgs'])[..., ::-1]  # N, H, W, 3 RGB
        clip_len = results['clip_len']
        if imgs.shape[0] % clip_len:
            raise ValueError(f'PackVideoInputs: {imgs.shape[0]} frames are not a multiple of clip_len {clip_len}')
        inputs = torch.from_numpy(np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)))
        inputs = inputs.view(-1, clip_len, *inputs.shape[1:])
        sample = BaseDataElement(metainfo=dict(filename=results.get('filename'), num_clips=results.get('num_clips'),
                                               num_crops=results.get('num_crops', 1)))
        sample.gt_label = torch.tensor(int(results.get('label', -1)))
        return dict(inputs=inputs, data_samples=sample)
