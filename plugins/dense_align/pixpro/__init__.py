"""PixPro (Xie et al., CVPR 2021): pixel-level contrastive pre-training. This package holds its building blocks so
far: positive pixel pairs, pixel propagation, the losses and the momentum schedule; the model, data pipeline, configs
and export land next."""
from .losses import pixcontrast_loss, propagation_consistency_loss
from .momentum import cosine_momentum
from .positive_pairs import cell_centres, positive_pair_mask
from .propagation import PixelPropagation

__all__ = ['pixcontrast_loss', 'propagation_consistency_loss', 'cosine_momentum', 'cell_centres',
           'positive_pair_mask', 'PixelPropagation']
