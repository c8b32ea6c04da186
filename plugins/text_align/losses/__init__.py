"""Contrastive losses shared by the text methods."""
from .infonce import InBatchInfoNCELoss
from .moco import moco_infonce

__all__ = ['InBatchInfoNCELoss', 'moco_infonce']
