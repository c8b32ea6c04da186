"""Packs an image with its short caption and its sampled sub-captions."""
from ..imagetext import PackImageCaption
from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackImageSubCaptions(PackImageCaption):
    """:class:`PackImageCaption`, plus ``sub_captions`` (from :class:`SampleSubCaptions`) as meta information."""

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results (see :class:`PackImageCaption`) with ``sub_captions``.

        Returns:
            ``dict(inputs=tensor, data_samples=BaseDataElement(...))`` with ``sub_captions`` in the sample.
        """
        packed = super().transform(results)
        if 'sub_captions' in results:
            packed['data_samples'].set_metainfo(dict(sub_captions=list(results['sub_captions'])))
        return packed
