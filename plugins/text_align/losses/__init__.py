"""Contrastive losses shared by the text methods, and GradCache for large batches in small memory."""
from .grad_cache import grad_cache_backward
from .infonce import InBatchInfoNCELoss
from .moco import moco_infonce

__all__ = ['grad_cache_backward', 'InBatchInfoNCELoss', 'moco_infonce']
