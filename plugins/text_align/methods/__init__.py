"""Training methods of text_align (each a registered mmengine model)."""
from .contriever import Contriever
from .domain_experts import DomainExpertEncoder, RoutedFeedForward
from .simcse import SimCSE

__all__ = ['Contriever', 'DomainExpertEncoder', 'RoutedFeedForward', 'SimCSE']
