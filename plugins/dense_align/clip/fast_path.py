"""The inference fast path of the CLIP image encoders, switched on for a whole model (``tools/test.py`` does)."""
from typing import Any, Optional

from torch import nn


def set_fast_inference(model: nn.Module, enabled: bool = True) -> int:
    """Switch the fast path of every CLIP image encoder inside ``model`` (:class:`CLIPResNet`: BatchNorm folded into
    the convolutions when the norms are in eval mode, channels-last input in eval mode; :class:`CLIPViT`: QuickGELU
    MLPs as one fused SiLU in eval mode). Attention runs on the fused ``scaled_dot_product_attention`` kernel either
    way. Outputs equal the plain forward within float rounding (tested to 1e-5); training-mode forwards are unchanged.

    Args:
        model: any module, e.g. an mmseg segmentor or an mmdet detector.
        enabled: on or off.

    Returns:
        How many encoders were switched.
    """
    count = 0
    for module in model.modules():
        switch = getattr(module, 'set_fast_inference', None)
        if callable(switch):
            switch(enabled)
            count += 1
    return count


def apply_test_fast_path(runner: Any, enabled: bool = True) -> int:
    """Prepare an mmengine Runner for testing: the CLIP encoders' fast path, and ``torch.compile`` of the model's
    ``test_step`` when the config sets ``compile`` (mmengine itself compiles only ``train_step``).

    Args:
        runner: the mmengine Runner (its ``model`` and ``cfg`` are used).
        enabled: switch the encoders' fast path on (False leaves them as configured).

    Returns:
        How many encoders were switched.
    """
    count = set_fast_inference(unwrap(runner.model), True) if enabled else 0
    compile_cfg: Optional[Any] = runner.cfg.get('compile', None)
    if compile_cfg:
        runner._maybe_compile('test_step')
    return count


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP / mmengine wrapper (``.module``), or the model itself."""
    return getattr(model, 'module', model)
