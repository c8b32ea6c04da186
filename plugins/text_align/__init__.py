"""text_align: contrastive training of text embedding models, on the same mmengine Runner as dense_align.

Importing the package registers its modules in the ``text_align`` scope and makes mmengine load checkpoints safely
under torch >= 2.6 (see :mod:`align_core.checkpoint`). It downloads nothing.
"""
from align_core import install_mmengine_safe_loading

from . import data, encoders, evaluation, losses, methods, registry  # noqa: F401  (registration side effects)

install_mmengine_safe_loading()

__version__ = '0.1.0'
