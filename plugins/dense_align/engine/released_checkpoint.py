"""Load the authors' released checkpoints directly: ``tools/test.py CONFIG RELEASED_FILE``.

Methods register a converter for the layout of their authors' files (DenseCLIP: mmseg 0.x / mmdet 2.x names;
PixPro: ``{'model': {'module.encoder.*': ...}}``). :class:`ReleasedCheckpointHook` runs after mmengine has read a
checkpoint and before it loads it into the model: a recognised layout is renamed in place into the model's names
(a layout that is recognised but does not fit the model is an error naming what is missing or left over); any other
checkpoint passes through untouched.
"""
from typing import Callable, List, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import nn

from ..registry import HOOKS

#: ``convert(checkpoint, model, source)`` returns our state dict, or None when the layout is not its own.
Converter = Callable[[dict, nn.Module, str], Optional[dict]]
RELEASED_LAYOUTS: List[Tuple[str, Converter]] = []


def register_released_layout(name: str, convert: Converter) -> None:
    """Add a released-checkpoint layout.

    Args:
        name: what the layout is, for the log (e.g. ``'DenseCLIP (raoyongming/DenseCLIP, mmseg 0.x / mmdet 2.x)'``).
        convert: ``convert(checkpoint, model, source)`` -> our state dict, or None if ``checkpoint`` is not in this
            layout; it raises a ValueError/KeyError when the layout is recognised but does not fit ``model``.
    """
    if all(existing != name for existing, _ in RELEASED_LAYOUTS):
        RELEASED_LAYOUTS.append((name, convert))


def convert_released_checkpoint(checkpoint: dict, model: nn.Module, source: str = 'checkpoint') -> Optional[str]:
    """Rename a released checkpoint in place (``checkpoint['state_dict']`` becomes our state dict).

    Args:
        checkpoint: the loaded checkpoint dict.
        model: the model it is for (unwrapped).
        source: file name for messages.

    Returns:
        The name of the recognised layout, or None (the checkpoint is left as it is).
    """
    if not isinstance(checkpoint, dict):
        return None
    for name, convert in RELEASED_LAYOUTS:
        state = convert(checkpoint, model, source)
        if state is not None:
            checkpoint.pop('model', None)
            checkpoint['state_dict'] = state
            return name
    return None


@HOOKS.register_module()
class ReleasedCheckpointHook(Hook):
    """Converts a released checkpoint (``load_from``) into the model's names when its layout is recognised.

    tools/test.py registers it; in a config: ``custom_hooks = [dict(type='dense_align.ReleasedCheckpointHook')]``.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Rename ``checkpoint`` in place if it is in a released layout."""
        model = runner.model
        while is_model_wrapper(model) or isinstance(model, BaseTTAModel):  # DDP, --tta: load into the inner model
            model = model.module
        source = str(getattr(runner, '_load_from', None) or 'checkpoint')
        name = convert_released_checkpoint(checkpoint, model, source)
        if name is not None:
            runner.logger.info(f'{source}: released {name} checkpoint converted to this model\'s names '
                               f'({len(checkpoint["state_dict"])} tensors)')
