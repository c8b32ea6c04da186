"""Training methods of text_align (each a registered mmengine model)."""
from .contriever import Contriever
from .simcse import SimCSE

__all__ = ['Contriever', 'SimCSE']
