"""The authors' released PixPro checkpoints (zdaxie/PixPro) in our PixPro model's names.

A released file is ``{'model': state_dict}`` (``publish_model.py`` drops ``opt``, ``optimizer``, ``scheduler``,
``epoch``, ``amp`` from the training checkpoint of ``main_pretrain.py``); the state dict is that of the DDP-wrapped
``contrast.models.PixPro``, so every key starts with ``module.``. Checked against zdaxie/PixPro e390d6b
(``contrast/models/PixPro.py``, ``contrast/resnet.py``):

=====================================  =================================================================
released                               ours (:class:`~dense_align.pixpro.model.PixPro`)
=====================================  =================================================================
``module.encoder.*`` (torchvision)     ``backbone.*`` (mmdet ``ResNet``: the same names)
``module.encoder_k.*``                 ``momentum_backbone.*``
``module.projector.linear1/bn1/linear2``  ``projector.0/1/3`` (and ``_k`` -> ``momentum_projector``)
``module.projector_instance[_k].*``    ``[momentum_]projector_instance.0/1/3`` (instance-branch models)
``module.predictor.*``                 ``predictor.0/1/3``
``module.value_transform.*``           ``propagation.transform.*`` (1 layer: a conv; 2 layers: ``.0/1/3``)
=====================================  =================================================================
"""
import re
from typing import Dict, Mapping, Optional

import torch

from ..engine.released_checkpoint import register_released_layout

RELEASED_PREFIX = 'module.'
#: released top-level module -> ours
MODULES = {'encoder': 'backbone', 'encoder_k': 'momentum_backbone', 'projector': 'projector',
           'projector_k': 'momentum_projector', 'projector_instance': 'projector_instance',
           'projector_instance_k': 'momentum_projector_instance', 'predictor': 'predictor',
           'value_transform': 'propagation.transform'}
#: the reference MLP2d (conv1x1, BN, ReLU, conv1x1) -> our nn.Sequential indices
MLP_LAYERS = {'linear1': '0', 'bn1': '1', 'linear2': '3'}
_KEY = re.compile(r'^module\.([a-z_]+)\.(.+)$')


def released_state(checkpoint: object) -> Optional[Dict[str, torch.Tensor]]:
    """The state dict of a released PixPro file (``{'model': {'module.encoder.*': ...}}``), or None for another
    layout."""
    state = checkpoint.get('model') if isinstance(checkpoint, dict) else None
    if isinstance(state, dict) and any(str(k).startswith('module.encoder.') for k in state):
        return state
    return None


def released_pixpro_to_ours(state: Mapping[str, torch.Tensor], source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """Rename a released PixPro state dict to our names.

    Args:
        state: the released ``model`` state dict (``module.encoder.conv1.weight``, ...).
        source: file name for messages.

    Returns:
        Our PixPro state dict (``backbone.conv1.weight``, ``projector.0.weight``, ...).

    Raises:
        KeyError: a key outside the known modules (e.g. a deep-stem or another model's checkpoint).
    """
    out = {}
    for key, value in state.items():
        match = _KEY.match(key)
        if not match or match.group(1) not in MODULES:
            raise KeyError(f'{source}: "{key}" is not a key of a released PixPro model (expected module.<'
                           f'{"|".join(MODULES)}>.*)')
        module, rest = match.groups()
        if module not in ('encoder', 'encoder_k'):
            first, _, tail = rest.partition('.')
            if first in MLP_LAYERS:
                rest = f'{MLP_LAYERS[first]}.{tail}'
        out[f'{MODULES[module]}.{rest}'] = value
    return out


def convert_for_model(checkpoint: dict, model: torch.nn.Module, source: str = 'checkpoint') -> Optional[dict]:
    """A released PixPro checkpoint renamed for ``model``, or None if ``checkpoint`` is in another layout.

    Our PixPro model receives every tensor; any other model with a ``backbone`` (a detector or segmentor to
    fine-tune) receives the online encoder as its ``backbone.*``.

    Args:
        checkpoint: the loaded file.
        model: the model to load into.
        source: file name for messages.

    Returns:
        The state dict, or None.

    Raises:
        ValueError: the renamed weights do not cover the model (or its backbone) exactly.
    """
    state = released_state(checkpoint)
    if state is None:
        return None
    ours = released_pixpro_to_ours(state, source)
    target = model.state_dict()
    if not hasattr(model, 'momentum_backbone'):
        ours = {k: v for k, v in ours.items() if k.startswith('backbone.')}
        target = {k: v for k, v in target.items() if k.startswith('backbone.')}
    missing, unexpected = sorted(set(target) - set(ours)), sorted(set(ours) - set(target))
    mismatched = [k for k in ours if k in target and ours[k].shape != target[k].shape]
    if missing or unexpected or mismatched:
        raise ValueError(f'{source}: the released PixPro weights do not fit this model: missing {missing[:6]} '
                         f'({len(missing)}), unexpected {unexpected[:6]} ({len(unexpected)}), shape mismatches '
                         f'{mismatched[:6]} ({len(mismatched)})')
    return ours


register_released_layout('PixPro (zdaxie/PixPro)', convert_for_model)
