"""Training methods of text_align (each a registered mmengine model)."""
from .bprop import BPROP
from .bprop_attention import document_term_weights
from .bprop_finetune import CrossEncoderReranker
from .ccp import CCP
from .contriever import Contriever
from .debcse import DebCSE, weighted_infonce
from .domain_experts import DomainExpertEncoder, RoutedFeedForward
from .simcse import SimCSE
from .sycl import SyCL

__all__ = ['BPROP', 'document_term_weights', 'CCP', 'Contriever', 'DebCSE', 'weighted_infonce', 'DomainExpertEncoder', 'RoutedFeedForward', 'SimCSE',
           'SyCL']
__all__ += ['CrossEncoderReranker']  # B-PROP fine-tuning
from .supremix import SupReMix, pair_features  # noqa: E402

__all__ += ['SupReMix', 'pair_features']
# SPACE-2
from .space2 import SPACE2  # noqa: E402
from .space2_subspace import SubspaceProjection  # noqa: E402

__all__ += ['SPACE2', 'SubspaceProjection']
# end SPACE-2
from .rtd import RTDContrastive  # noqa: E402
from .rtd_generator import RTDGenerator, generator_size  # noqa: E402

__all__ += ['RTDContrastive', 'RTDGenerator', 'generator_size']
