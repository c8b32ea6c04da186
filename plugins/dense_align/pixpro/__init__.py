"""PixPro (Xie et al., CVPR 2021): pixel-level contrastive pre-training of a ResNet for detection and segmentation.

The two-view pipeline with tracked crop boxes, the unlabeled image dataset, the model (pixel propagation against a
momentum encoder, PixContrast and the BYOL instance branch), LARS, and the export of the encoder to mmdet/mmseg and
detectron2 checkpoints.
"""
from ..engine import MultiViewDataPreprocessor  # re-exported: PixPro's default preprocessor
from .export import online_encoder_state, to_detectron2
from .image_folder import UnlabeledImageFolder
from .lars import LARS
from .losses import pixcontrast_loss, pixcontrast_per_image, propagation_consistency_loss
from .model import PixPro
from .momentum import cosine_momentum
from .positive_pairs import cell_centres, positive_pair_mask
from .propagation import PixelPropagation
from . import released_checkpoint  # noqa: F401  (registers the zdaxie/PixPro layout for tools/test.py)
from .two_views import PixProTwoViews
from .view_boxes import sample_crop, view_box

__all__ = ['MultiViewDataPreprocessor', 'online_encoder_state', 'to_detectron2', 'UnlabeledImageFolder', 'LARS',
           'pixcontrast_loss', 'pixcontrast_per_image', 'propagation_consistency_loss', 'PixPro', 'cosine_momentum',
           'cell_centres', 'positive_pair_mask', 'PixelPropagation', 'PixProTwoViews', 'sample_crop', 'view_box']
