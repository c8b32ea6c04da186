"""``init_cfg=dict(type='Pretrained', checkpoint=...)`` for the CLIP encoders, through the CLIP weight loader.

mmengine's own Pretrained init loads non-strictly and only warns about shape mismatches, so a checkpoint of another
CLIP size would silently leave layers random. The CLIP encoders route it through :func:`load_clip_weights`
instead: any supported format (OpenAI TorchScript, open_clip, Hugging Face, converted files), positional
embeddings resized, and a clear error for another architecture or size. :func:`pretrained_to_init_cfg` turns the
deprecated ``pretrained`` argument of mmseg/mmdet backbones into such an ``init_cfg``.
"""
import warnings
from typing import List, Optional, Union

from mmengine.logging import MMLogger, print_log

from .weights import load_clip_weights


class ClipPretrainedInitMixin:
    """For BaseModule encoders: ``init_weights`` loads a ``Pretrained`` ``init_cfg`` with the CLIP loader."""

    def init_weights(self) -> None:
        """Load the pretrained checkpoint named by ``init_cfg`` (``checkpoint``, optional ``prefix``), or run the
        default initialisation."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        report = load_clip_weights(self, cfg['checkpoint'], prefix=cfg.get('prefix'))
        print_log(f'{type(self).__name__}: loaded {cfg["checkpoint"]} (missing: {report.missing or "none"}; '
                  f'unexpected: {report.unexpected or "none"})', logger=MMLogger.get_current_instance())
        self._is_init = True


def pretrained_to_init_cfg(pretrained: Optional[str], init_cfg: Optional[Union[dict, List[dict]]],
                           owner: str) -> Optional[Union[dict, List[dict]]]:
    """Accept the deprecated ``pretrained`` argument of a backbone the way mmseg's and mmdet's backbones do.

    mmseg's ``EncoderDecoder`` hands a model-level ``pretrained`` (set in many mmseg model-zoo configs) to its
    backbone, so every backbone that may replace an mmseg one must take it.

    Args:
        pretrained: a checkpoint path or URL, or None.
        init_cfg: the backbone's ``init_cfg``.
        owner: the backbone's class name, for messages.

    Returns:
        ``init_cfg``, or ``dict(type='Pretrained', checkpoint=pretrained)`` when ``pretrained`` is given (with a
        DeprecationWarning).

    Raises:
        ValueError: both are given.
        TypeError: ``pretrained`` is not a string.
    """
    if pretrained is None:
        return init_cfg
    if init_cfg is not None:
        raise ValueError(f'{owner}: pretrained={pretrained!r} and init_cfg={init_cfg!r} were both given; set only '
                         "init_cfg=dict(type='Pretrained', checkpoint=...) (a model-level pretrained, as in mmseg "
                         "model-zoo configs, is passed to the backbone: set model.pretrained=None there)")
    if not isinstance(pretrained, str):
        raise TypeError(f'{owner}: pretrained must be a checkpoint path (str) or None, got {type(pretrained).__name__}')
    warnings.warn(f'{owner}: pretrained is deprecated, use init_cfg=dict(type="Pretrained", checkpoint=...) instead',
                  DeprecationWarning, stacklevel=3)
    return dict(type='Pretrained', checkpoint=pretrained)
