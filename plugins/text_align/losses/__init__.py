"""Contrastive losses shared by the text methods, GradCache for large batches in small memory, and the
debiasing weights of DebCSE."""
from .debias_weights import debias_weights, inverse_propensity, surface_similarity
from .grad_cache import grad_cache_backward
from .infonce import InBatchInfoNCELoss
from .language_bank import LanguageMemoryBank, language_infonce
from .moco import moco_infonce
from .ranking import listwise_softmax_loss, pairwise_softmax_margin_loss
from .wasserstein import WS2Loss, gaussian_w2, sorted_cdf_w1

__all__ = ['debias_weights', 'inverse_propensity', 'surface_similarity', 'grad_cache_backward', 'InBatchInfoNCELoss',
           'moco_infonce', 'WS2Loss', 'gaussian_w2', 'sorted_cdf_w1',
           'LanguageMemoryBank', 'language_infonce']
__all__ += ['listwise_softmax_loss', 'pairwise_softmax_margin_loss']  # B-PROP fine-tuning
from .supremix import SupReMixLoss, anchor_exclusive_mixtures, anchor_inclusive_mixtures  # noqa: E402

__all__ += ['SupReMixLoss', 'anchor_exclusive_mixtures', 'anchor_inclusive_mixtures']
# SPACE-2
from .space2_soft_supcon import SoftSupConLoss  # noqa: E402
from .tree_score import VIEWS, combined_score, score_matrices, tree_views, view_scores  # noqa: E402

__all__ += ['SoftSupConLoss', 'VIEWS', 'combined_score', 'score_matrices', 'tree_views', 'view_scores']
# end SPACE-2
from .rtd import discriminator_loss, electra_mask, sample_replacements  # noqa: E402

__all__ += ['discriminator_loss', 'electra_mask', 'sample_replacements']
