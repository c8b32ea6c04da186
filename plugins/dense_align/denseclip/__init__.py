"""DenseCLIP: language-guided dense prediction with context-aware prompting.

The segmentor needs mmseg; without it the package still imports (the context decoder and prompting stay usable).
"""
from .any_backbone import BackboneWithAttentionPool
from .context_decoder import ContextDecoder
from .text_features import ContextAwarePrompting

__all__ = ['BackboneWithAttentionPool', 'ContextDecoder', 'ContextAwarePrompting']
try:
    from .segmentor import DenseCLIPSegmentor, pixel_text_scores
except ImportError:  # pragma: no cover - mmseg not installed
    pass
else:
    __all__ += ['DenseCLIPSegmentor', 'pixel_text_scores']
