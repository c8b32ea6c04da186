"""dense_align: contrastive pre-training for OpenMMLab detection and segmentation (vision, dense and video methods).

Importing the package registers its modules (into mmdet's and mmseg's MODELS too, where installed) and makes
mmengine load checkpoints safely under torch >= 2.6 (see :mod:`align_core.checkpoint`). It downloads nothing.
"""
from align_core import install_mmengine_safe_loading

from . import clip, datasets, denseclip, evaluation, imagetext, registry  # noqa: F401  (registration side effects)

install_mmengine_safe_loading()

__version__ = '0.1.0'
