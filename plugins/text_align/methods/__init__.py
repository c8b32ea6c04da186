"""Training methods of text_align (each a registered mmengine model)."""
from .simcse import SimCSE

__all__ = ['SimCSE']
