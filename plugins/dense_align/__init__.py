"""dense_align: contrastive pre-training for OpenMMLab detection and segmentation (vision, dense and video methods).

Importing the package registers its modules (into mmdet's and mmseg's MODELS too, where installed), makes mmengine
load checkpoints safely under torch >= 2.6 (see :mod:`align_core.checkpoint`) and lets the Cityscapes and LVIS
evaluation packages run on numpy 2 (see :mod:`align_core.numpy_compat`). It downloads nothing.
"""
from align_core import install_mmengine_safe_loading
from align_core.numpy_compat import patch_legacy_numpy_users

from . import clip, datasets, denseclip, dito, engine, evaluation, imagetext, mofi, pixpro, registry, xclip  # noqa: F401  (registration side effects)
from . import dreamlip  # noqa: F401,E402  (registration side effects)
from . import uclip  # noqa: F401,E402  (registration side effects)

install_mmengine_safe_loading()
patch_legacy_numpy_users()  # mmseg CityscapesMetric / mmdet LVISMetric on numpy 2

__version__ = '0.1.0'
