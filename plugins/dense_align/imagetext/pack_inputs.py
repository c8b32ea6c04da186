"""Packs an image with its caption(s), their tokens, label and id for the image-text models."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from ..registry import TRANSFORMS

_TEXT_KEYS = ('caption', 'captions')
_TOKEN_KEYS = ('text_tokens', 'captions_tokens')


@TRANSFORMS.register_module()
class PackImageCaption(BaseTransform):
    """``img`` (H, W, C) -> ``inputs`` (C, H, W); captions, tokens, label and id -> a ``BaseDataElement``.

    Whichever of ``caption`` (the one picked for training), ``captions`` (all, for retrieval), ``text_tokens`` and
    ``captions_tokens`` the pipeline produced are packed (texts as meta information, tokens as data fields, which
    the data preprocessor moves to the model's device); a classification sample has none of them.
    """

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``img`` and optionally the text keys, ``gt_label``, ``img_id``.

        Returns:
            ``dict(inputs=tensor, data_samples=BaseDataElement(...))``.
        """
        img = np.ascontiguousarray(results['img'].transpose(2, 0, 1))
        meta = dict(gt_label=int(results.get('gt_label', -1)), img_id=results.get('img_id'))
        meta.update({key: results[key] for key in _TEXT_KEYS if key in results})
        tokens = {key: results[key] for key in _TOKEN_KEYS if key in results}  # data fields: moved with the batch
        return dict(inputs=torch.from_numpy(img), data_samples=BaseDataElement(metainfo=meta, **tokens))
