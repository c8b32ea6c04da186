"""Packs an image with its captions in several languages."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackMultilingualCaptions(BaseTransform):
    """``img`` -> ``inputs`` (C, H, W); ``captions_by_lang`` and ``img_id`` -> meta information."""

    def transform(self, results: dict) -> dict:
        """Args:
            results: with ``img``, ``captions_by_lang``, ``img_id``.

        Returns:
            ``dict(inputs=tensor, data_samples=BaseDataElement(...))``.
        """
        img = np.ascontiguousarray(results['img'].transpose(2, 0, 1))
        meta = dict(img_id=results.get('img_id'), captions_by_lang=results['captions_by_lang'])
        return dict(inputs=torch.from_numpy(img), data_samples=BaseDataElement(metainfo=meta))
