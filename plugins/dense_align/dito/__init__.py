"""DITO (detection-oriented image-text pre-training): the detector-shaped pre-training model, the open-vocabulary
Faster / Mask R-CNN with a text classifier, and the test-time fusion with the frozen backbone's region scores.

Everything but the fusion formulas and the pairing helpers needs mmdet; without it the package still imports.
"""
from .region_pairing import PAIRINGS
from .vlm_fusion import fuse_vlm_scores, scores_for_softmax
from .vocabulary import lvis_rare_names, split_vocabulary

__all__ = ['PAIRINGS', 'fuse_vlm_scores', 'scores_for_softmax', 'lvis_rare_names', 'split_vocabulary']
try:
    from .centerness_rpn_head import DITOCenternessRPNHead
    from .detector import DITOFasterRCNN, DITOMaskRCNN
    from .lrtb_coder import LRTBBoxCoder
    from .pretrainer import DITOPretrainer
    from .released_mask_head import DITOMaskHead
    from .roi_head import DITORoIHead
    from .simple_fpn_v2 import DITOSimpleFPN
    from .text_bbox_head import DITOTextBBoxHead
    from .vlm_scorer import FrozenVLMScorer
    from .vocabulary_hook import OpenVocabularyHook
except ImportError:  # pragma: no cover - mmdet (or mmcv ops) not installed
    pass
else:
    __all__ += ['DITOFasterRCNN', 'DITOMaskRCNN', 'DITOPretrainer', 'DITORoIHead', 'DITOTextBBoxHead',
                'FrozenVLMScorer', 'OpenVocabularyHook', 'DITOCenternessRPNHead', 'DITOSimpleFPN', 'LRTBBoxCoder',
                'DITOMaskHead']
