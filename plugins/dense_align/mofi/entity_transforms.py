"""Pipeline steps of MOFI: load an entity-labelled image (a file or a tar shard member), pick the entity text of a
training iteration, pack the image with its entity labels."""
import random
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile

from ..imagetext.pack_inputs import PackImageCaption
from ..registry import TRANSFORMS
from .shard_images import read_member


@TRANSFORMS.register_module()
class LoadEntityImage(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` that also reads images inside webdataset tar shards: a data info
    with ``shard``, ``shard_offset`` and ``shard_size`` (``EntityImageDataset`` of shard-sourced I2E labels) is
    decoded from those bytes, any other from ``img_path``. Same arguments and outputs (``img``, ``img_shape``,
    ``ori_shape``)."""

    def transform(self, results: dict) -> Optional[dict]:
        """Args:
            results: a data info.

        Returns:
            ``results`` with the decoded image (None for an undecodable image with ``ignore_empty``).
        """
        if 'shard' not in results:
            return super().transform(results)
        try:
            data = read_member(results['shard'], results['shard_offset'], results['shard_size'])
            img = mmcv.imfrombytes(data, flag=self.color_type, backend=self.imdecode_backend)
            if img is None:
                raise ValueError(f'LoadEntityImage: {results["img_path"]} does not decode as an image')
        except Exception:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class SampleEntityText(BaseTransform):
    """``entity_texts`` -> ``caption``: the text of one of the image's entities, at random in training (the first
    with ``test_mode=True``), for the contrastive head; ``TokenizeCaption`` then tokenises it.

    Args:
        test_mode: always take the first entity.
    """

    def __init__(self, test_mode: bool = False) -> None:
        self.test_mode = test_mode

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``entity_texts``.

        Returns:
            ``results`` with ``caption``.
        """
        texts = results.get('entity_texts')
        if not texts:
            raise KeyError(f'SampleEntityText: {results.get("img_path", "the sample")} has no "entity_texts" '
                           f'(use EntityImageDataset)')
        results['caption'] = texts[0] if self.test_mode else random.choice(texts)
        return results


@TRANSFORMS.register_module()
class PackImageEntities(PackImageCaption):
    """:class:`PackImageCaption` plus the image's ``entity_labels`` (list of class indices) as meta information."""

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``img``, ``entity_labels`` and optionally the caption keys.

        Returns:
            ``dict(inputs=tensor, data_samples=BaseDataElement(...))``.
        """
        packed = super().transform(results)
        packed['data_samples'].set_metainfo(dict(entity_labels=list(results.get('entity_labels', []))))
        return packed
