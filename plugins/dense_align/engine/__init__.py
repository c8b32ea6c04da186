"""Engine pieces shared by several dense_align methods."""
from .multi_view_preprocessor import MultiViewDataPreprocessor

__all__ = ['MultiViewDataPreprocessor']
