"""Engine pieces shared by several dense_align methods."""
from .multi_view_preprocessor import MultiViewDataPreprocessor
from .released_checkpoint import ReleasedCheckpointHook, convert_released_checkpoint, register_released_layout

__all__ = ['MultiViewDataPreprocessor', 'ReleasedCheckpointHook', 'convert_released_checkpoint',
           'register_released_layout']
