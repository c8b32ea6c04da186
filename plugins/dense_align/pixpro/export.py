"""Export PixPro's online encoder for fine-tuning: an mmdet/mmseg ResNet checkpoint, or detectron2's format."""
import pickle
import re
from typing import Any, Dict

import torch

ONLINE_PREFIX = 'backbone.'
MOMENTUM_PREFIX = 'momentum_backbone.'


def online_encoder_state(state_dict: Dict[str, torch.Tensor], source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """The online encoder's weights of a PixPro state dict, without the ``backbone.`` prefix.

    Args:
        state_dict: a PixPro model's state dict (a ``module.`` prefix from DDP is accepted).
        source: name of the checkpoint, for the error message.

    Returns:
        mmdet/mmseg ``ResNet`` state dict (``conv1.weight``, ``layer1.0.bn1.weight``, ``layer1.0.downsample.0...``).

    Raises:
        KeyError: not a PixPro checkpoint (no ``backbone.*`` or no ``momentum_backbone.*`` keys, e.g. a detector's),
            or an encoder that is not a torchvision-style ResNet (a deep stem, ``stem.*``, as in ResNetV1c); the
            message names the key prefixes or keys found.
    """
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state_dict.items()}
    encoder = {k[len(ONLINE_PREFIX):]: v for k, v in state_dict.items() if k.startswith(ONLINE_PREFIX)}
    if not encoder or not any(k.startswith(MOMENTUM_PREFIX) for k in state_dict):
        prefixes = sorted({k.split('.')[0] for k in state_dict})
        raise KeyError(f'{source}: expected "{ONLINE_PREFIX}*" and "{MOMENTUM_PREFIX}*" keys, so this is not a PixPro '
                       f'checkpoint (top-level names found: {", ".join(prefixes[:8]) or "none"})')
    if 'conv1.weight' not in encoder:
        stem = [k for k in encoder if not k.startswith('layer')][:3]
        raise KeyError(f'{source}: the encoder has no "{ONLINE_PREFIX}conv1.weight"; found stem keys {stem}. The '
                       'export and the transfer configs expect a torchvision-style ResNet stem (conv1/bn1), not a '
                       'deep stem (ResNetV1c "stem.*")')
    return encoder


_BLOCK = re.compile(r'^layer(\d)\.(\d+)\.(.+)$')
_NORM_FIELDS = ('weight', 'bias', 'running_mean', 'running_var')


def _detectron2_name(name: str) -> str:
    """One mmdet/torchvision ResNet key -> detectron2's name (``stem.conv1.norm.weight``, ``res2.0.shortcut...``)."""
    if name.startswith('conv1.'):
        return 'stem.' + name
    if name.startswith('bn1.'):
        return 'stem.conv1.norm.' + name[len('bn1.'):]
    match = _BLOCK.match(name)
    if not match:
        raise KeyError(f'detectron2 export: no detectron2 name for ResNet key "{name}"')
    stage, block, rest = int(match.group(1)) + 1, match.group(2), match.group(3)
    rest = re.sub(r'^bn(\d)\.', r'conv\1.norm.', rest)
    rest = re.sub(r'^downsample\.0\.', 'shortcut.', rest)
    rest = re.sub(r'^downsample\.1\.', 'shortcut.norm.', rest)
    return f'res{stage}.{block}.{rest}'


def to_detectron2(encoder: Dict[str, torch.Tensor], author: str = 'PixPro (contrastive-align)') -> dict:
    """Args:
        encoder: an mmdet/torchvision-style ResNet state dict (see :func:`online_encoder_state`).
        author: the ``__author__`` field.

    Returns:
        ``{"model": {detectron2 name: numpy array}, "__author__": author, "matching_heuristics": True}``; BN
        ``num_batches_tracked`` counters are dropped (detectron2's FrozenBN/SyncBN have none to load).
    """
    model = {_detectron2_name(k): v.detach().cpu().numpy() for k, v in encoder.items()
             if not k.endswith('num_batches_tracked') and not k.startswith('fc.')}
    return {'model': model, '__author__': author, 'matching_heuristics': True}


def save_encoder(encoder: Dict[str, torch.Tensor], dst: str, target: str, meta: Dict[str, Any]) -> int:
    """Write the online encoder for fine-tuning.

    Args:
        encoder: mmdet/torchvision-style ResNet state dict (see :func:`online_encoder_state`).
        dst: output file.
        target: ``'mmdet'`` (``{'state_dict', 'meta'}`` under mmdet/mmseg ``ResNet`` names) or ``'detectron2'``
            (detectron2's pickled dict, see :func:`to_detectron2`).
        meta: provenance written with the mmdet file.

    Returns:
        The number of tensors written.
    """
    if target == 'mmdet':
        torch.save({'state_dict': encoder, 'meta': dict(meta, format='mmdet/mmseg ResNet')}, dst)
        return len(encoder)
    if target != 'detectron2':
        raise ValueError(f'target must be "mmdet" or "detectron2", got {target!r}')
    d2 = to_detectron2(encoder)
    with open(dst, 'wb') as f:
        pickle.dump(d2, f)
    return len(d2['model'])
