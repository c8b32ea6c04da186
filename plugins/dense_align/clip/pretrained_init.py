"""``init_cfg=dict(type='Pretrained', checkpoint=...)`` for the CLIP encoders, through the CLIP weight loader.

mmengine's own Pretrained init loads non-strictly and only warns about shape mismatches, so a checkpoint of another
CLIP size would silently leave layers random. The CLIP encoders route it through :func:`load_clip_weights`
instead: any supported format (OpenAI TorchScript, open_clip, Hugging Face, converted files), positional
embeddings resized, and a clear error for another architecture or size.
"""
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
