"""DenseCLIP: language-guided dense prediction with context-aware prompting.

The segmentor needs mmseg and the detectors mmdet; without them the package still imports.
"""
from .any_backbone import BackboneWithAttentionPool
from .context_decoder import ContextDecoder
from .language_guidance import LanguageGuidanceMixin, pixel_text_scores, resolve_class_names
from .text_features import ContextAwarePrompting
from . import released_checkpoint  # noqa: F401  (registers the raoyongming/DenseCLIP layout for tools/test.py)

__all__ = ['BackboneWithAttentionPool', 'ContextDecoder', 'ContextAwarePrompting', 'LanguageGuidanceMixin',
           'pixel_text_scores', 'resolve_class_names']
try:
    from .segmentor import DenseCLIPSegmentor
except ImportError:  # pragma: no cover - mmseg not installed
    pass
else:
    __all__ += ['DenseCLIPSegmentor']
try:
    from .detectors import DenseCLIPFasterRCNN, DenseCLIPMaskRCNN, DenseCLIPRetinaNet
except ImportError:  # pragma: no cover - mmdet not installed
    pass
else:
    __all__ += ['DenseCLIPFasterRCNN', 'DenseCLIPMaskRCNN', 'DenseCLIPRetinaNet']
