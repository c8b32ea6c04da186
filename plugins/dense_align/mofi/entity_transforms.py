"""Pipeline steps of MOFI: pick the entity text of a training iteration, pack the image with its entity labels."""
import random

from mmcv.transforms import BaseTransform

from ..imagetext.pack_inputs import PackImageCaption
from ..registry import TRANSFORMS


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
