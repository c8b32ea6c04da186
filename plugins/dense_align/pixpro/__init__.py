"""PixPro (Xie et al., CVPR 2021): pixel-level contrastive pre-training. This package holds its building blocks so
far: view boxes of random crops and flips, positive pixel pairs, pixel propagation, the losses and the momentum
schedule; the model, the two-view data pipeline, configs and export land next."""
from .losses import pixcontrast_loss, propagation_consistency_loss
from .momentum import cosine_momentum
from .positive_pairs import cell_centres, positive_pair_mask
from .propagation import PixelPropagation
from .view_boxes import sample_crop, view_box

__all__ = ['pixcontrast_loss', 'propagation_consistency_loss', 'cosine_momentum', 'cell_centres',
           'positive_pair_mask', 'PixelPropagation', 'sample_crop', 'view_box']
