"""Training methods of text_align (each a registered mmengine model)."""
from .ccp import CCP
from .contriever import Contriever
from .debcse import DebCSE, weighted_infonce
from .domain_experts import DomainExpertEncoder, RoutedFeedForward
from .simcse import SimCSE
from .sycl import SyCL

__all__ = ['CCP', 'Contriever', 'DebCSE', 'weighted_infonce', 'DomainExpertEncoder', 'RoutedFeedForward', 'SimCSE', 'SyCL']
