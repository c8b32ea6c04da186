"""DITO (detection-oriented image-text pre-training): the detector-shaped pre-training model, the open-vocabulary
Faster R-CNN with a text classifier, and the test-time fusion with the frozen backbone's region scores."""
from .detector import DITOFasterRCNN, DITOMaskRCNN
from .pretrainer import DITOPretrainer
from .region_pairing import PAIRINGS
from .roi_head import DITORoIHead
from .text_bbox_head import DITOTextBBoxHead
from .vlm_scorer import FrozenVLMScorer
from .vocabulary_hook import OpenVocabularyHook
from .vlm_fusion import fuse_vlm_scores, scores_for_softmax

__all__ = ['DITOFasterRCNN', 'DITOMaskRCNN', 'DITORoIHead', 'FrozenVLMScorer', 'OpenVocabularyHook', 'DITOPretrainer', 'PAIRINGS', 'DITOTextBBoxHead', 'fuse_vlm_scores', 'scores_for_softmax']
