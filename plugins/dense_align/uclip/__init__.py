"""uCLIP (AAAI 2026): multilingual CLIP from English captions, with two projection heads over a frozen CLIP and a
frozen multilingual text encoder, trained on pseudo pairs soft-retrieved from unpaired embedding banks."""
from .embedding_bank import build_bank, check_width
from .losses import uclip_losses
from .model import UCLIPModel
from .multilingual_data import MultilingualCaptionDataset
from .multilingual_metric import MultilingualRetrievalMetric
from .multilingual_pack import PackMultilingualCaptions
from .projection_head import UCLIPHead
from .soft_retrieval import NOISE_STD, add_noise, soft_retrieve

__all__ = ['build_bank', 'check_width', 'uclip_losses', 'UCLIPModel', 'MultilingualCaptionDataset',
           'MultilingualRetrievalMetric', 'PackMultilingualCaptions', 'UCLIPHead', 'NOISE_STD', 'add_noise',
           'soft_retrieve']
