"""Packs an image and its caption for the image-text models."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackImageCaption(BaseTransform):
    """``img`` (H, W, C) -> ``inputs`` (C, H, W) tensor; caption, label and id -> a ``BaseDataElement``."""

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``img``, ``caption``, ``gt_label``, ``img_id``.

        Returns:
            ``dict(inputs=tensor, data_samples=BaseDataElement(caption, gt_label, img_id))``.
        """
        img = np.ascontiguousarray(results['img'].transpose(2, 0, 1))
        sample = BaseDataElement(metainfo=dict(caption=results['caption'], gt_label=int(results.get('gt_label', -1)),
                                               img_id=results.get('img_id')))
        return dict(inputs=torch.from_numpy(img), data_samples=sample)
