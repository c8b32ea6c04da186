"""PixPro's data pipeline: two augmented views of one image with their boxes in the original image."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement
from torchvision.transforms import ColorJitter

from ..registry import TRANSFORMS
from .view_boxes import sample_crop, view_box

#: BYOL's asymmetric photometric settings (view 1, view 2), as PixPro's "BYOL" augmentation uses them.
BYOL_VIEWS = (dict(blur_prob=1.0, solarize_prob=0.0), dict(blur_prob=0.1, solarize_prob=0.2))


@TRANSFORMS.register_module()
class PixProTwoViews(BaseTransform):
    """Random resized crop + horizontal flip (boxes tracked) and BYOL colour augmentations, twice.

    Reads ``img`` (H, W, 3) BGR uint8, as ``LoadImageFromFile`` gives it, and returns the packed sample:
    ``inputs`` (2, 3, size, size) RGB uint8 and ``data_samples`` with ``view_boxes`` (2, 4): each view's
    ``(x1, y1, x2, y2)`` in the original image, normalised per axis, x1/x2 swapped when flipped.

    Args:
        size: output side of each view.
        scale: crop area range as a fraction of the image.
        ratio: crop aspect-ratio range.
        flip_prob: probability of a horizontal flip.
        jitter: ColorJitter (brightness, contrast, saturation, hue), applied with ``jitter_prob``.
        jitter_prob: probability of the colour jitter.
        gray_prob: probability of converting to grayscale.
        blur_sigma: range of the Gaussian-blur sigma, in pixels at 224 px (scaled with ``size``).
        views: per-view ``dict(blur_prob=..., solarize_prob=...)``; BYOL's asymmetric pair by default.
    """

    def __init__(self, size: int = 224, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3 / 4, 4 / 3), flip_prob: float = 0.5,
                 jitter: Tuple[float, float, float, float] = (0.4, 0.4, 0.2, 0.1), jitter_prob: float = 0.8,
                 gray_prob: float = 0.2, blur_sigma: Tuple[float, float] = (0.1, 2.0),
                 views: Sequence[dict] = BYOL_VIEWS) -> None:
        if len(views) != 2:
            raise ValueError(f'PixProTwoViews: views must describe 2 views, got {len(views)}')
        self.size = size
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.flip_prob = flip_prob
        self.color_jitter = ColorJitter(*jitter)
        self.jitter_prob = jitter_prob
        self.gray_prob = gray_prob
        self.blur_sigma = tuple(blur_sigma)
        self.blur_kernel = max(3, int(0.1 * size) // 2 * 2 + 1)  # 23 at 224 px, as BYOL
        self.views = [dict(blur_prob=v['blur_prob'], solarize_prob=v['solarize_prob']) for v in views]

    def _view(self, image: torch.Tensor, rng: np.random.Generator, blur_prob: float,
              solarize_prob: float) -> Tuple[torch.Tensor, np.ndarray]:
        """One augmented view of ``image`` (3, H, W) RGB uint8 and its box."""
        height, width = image.shape[1:]
        top, left, crop_h, crop_w = sample_crop(height, width, rng, self.scale, self.ratio)
        view = TF.resized_crop(image, top, left, crop_h, crop_w, [self.size, self.size], antialias=True)
        flipped = bool(rng.random() < self.flip_prob)
        if flipped:
            view = view.flip(-1)
        if rng.random() < self.jitter_prob:
            view = self.color_jitter(view)
        if rng.random() < self.gray_prob:
            view = TF.rgb_to_grayscale(view, num_output_channels=3)
        if rng.random() < blur_prob:
            sigma = float(rng.uniform(*self.blur_sigma)) * self.size / 224
            view = TF.gaussian_blur(view, [self.blur_kernel] * 2, [max(sigma, 1e-3)] * 2)
        if rng.random() < solarize_prob:
            view = TF.solarize(view, 128)
        return view, view_box(top, left, crop_h, crop_w, height, width, flipped)

    def transform(self, results: dict) -> Optional[dict]:
        """Args:
            results: pipeline results with ``img`` (H, W, 3) BGR uint8 and optionally ``img_path``.

        Returns:
            ``dict(inputs=(2, 3, size, size) uint8, data_samples=BaseDataElement(view_boxes=(2, 4)))``.

        Raises:
            TypeError: the image is not a uint8 array (e.g. ``LoadImageFromFile(to_float32=True)``).
        """
        img = results['img']
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
            found = img.dtype if isinstance(img, np.ndarray) else type(img).__name__
            raise TypeError(f'PixProTwoViews: image {results.get("img_path", "")} must be a uint8 numpy array '
                            f'(H, W, 3) BGR as LoadImageFromFile gives it (to_float32=False), got {found}')
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if min(img.shape[:2]) < 2:
            raise ValueError(f'PixProTwoViews: image {results.get("img_path", "")} is {img.shape[:2]}; '
                             'views need at least 2x2 pixels')
        image = torch.from_numpy(np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1)))
        rng = np.random.default_rng(np.random.randint(2**31))  # seeded by mmengine's worker seeding
        pairs = [self._view(image, rng, **v) for v in self.views]
        sample = BaseDataElement(metainfo=dict(img_path=results.get('img_path'), ori_shape=img.shape[:2]))
        sample.view_boxes = torch.from_numpy(np.stack([box for _, box in pairs]))
        return dict(inputs=torch.stack([view for view, _ in pairs]), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, views={self.views})'
