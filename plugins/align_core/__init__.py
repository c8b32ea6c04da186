"""Modality-agnostic pieces shared by ``dense_align`` and ``text_align``: safe checkpoint loading, distributed
launch on CPU, config checks, registry helpers. It imports neither sibling package."""
from . import train_step_ddp  # noqa: F401  (registers the OwnTrainStepDDP model wrapper)
from .checkpoint import UnsafeCheckpointError, install_mmengine_safe_loading, safe_load

__all__ = ['UnsafeCheckpointError', 'install_mmengine_safe_loading', 'safe_load']
