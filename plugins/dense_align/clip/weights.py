"""Loads CLIP weights from every format users have into our image and text encoders.

Formats: OpenAI TorchScript archives (``RN50.pt``, ``ViT-B-16.pt``; tensors read without running code), OpenAI-style
state dicts, open_clip checkpoints (``.pt`` with or without a ``state_dict`` wrapper and ``module.`` prefixes,
``.bin``, ``.safetensors``) and Hugging Face ``CLIPModel`` weights. All are brought to OpenAI's key names: the
image tower under ``visual.``, the text tower at the top level.
"""
import os
from typing import Dict, List, NamedTuple, Optional, Union

import torch
from torch import nn

from align_core.checkpoint import safe_load
from .hf_keys import hf_to_openai, is_hf_clip_state_dict
from .layers import resize_pos_embed
from .torchscript_reader import is_torchscript_archive, read_torchscript_state_dict

StateDict = Dict[str, torch.Tensor]
_TEXT_PREFIXES = ('token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.', 'text_projection')


class CheckpointMismatchError(ValueError):
    """The checkpoint does not fit the model (other architecture or other size)."""


class LoadReport(NamedTuple):
    """What :func:`load_clip_weights` did.

    Attributes:
        missing: model keys the checkpoint did not provide.
        unexpected: checkpoint keys of the loaded tower the model does not have.
    """
    missing: List[str]
    unexpected: List[str]


def read_clip_checkpoint(path: str) -> StateDict:
    """Read a CLIP checkpoint of any supported format into OpenAI key names, float32.

    Args:
        path: ``.pt``/``.pth``/``.bin`` (torch), ``.safetensors``, or a TorchScript archive.

    Returns:
        name -> tensor.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'CLIP checkpoint {path} does not exist')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        state = load_file(path)
    elif is_torchscript_archive(path):
        state = read_torchscript_state_dict(path)
    else:
        state = safe_load(path, map_location='cpu')
        for wrapper in ('state_dict', 'model', 'module'):
            if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
                state = state[wrapper]
                break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatchError(f'{path} does not hold a CLIP state dict')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    if is_hf_clip_state_dict(state):
        state = hf_to_openai(state)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items() if not k.endswith('attn_mask')}


def clip_tower(state: StateDict, tower: str) -> StateDict:
    """The tensors of one tower, with the ``visual.`` prefix removed for the image tower.

    Args:
        state: OpenAI-named checkpoint tensors, or the tensors of one tower alone (e.g. a file written by
            ``clip_to_mmengine.py --tower visual``, which has no ``visual.`` keys).
        tower: ``'visual'`` or ``'text'``.

    Returns:
        name -> tensor for that tower.
    """
    if tower == 'visual':
        visual = {k[len('visual.'):]: v for k, v in state.items() if k.startswith('visual.')}
        return visual or dict(state)
    if tower == 'text':
        return {k: v for k, v in state.items() if k.startswith(_TEXT_PREFIXES)}
    raise ValueError(f"tower must be 'visual' or 'text', got {tower!r}")


def _fit_positional_embeddings(model: nn.Module, state: StateDict) -> StateDict:
    """Resize image positional embeddings to the model's grid and cut text ones to its context length."""
    state = dict(state)
    own = dict(model.named_parameters())
    for key, extra in (('positional_embedding', 1), ('attnpool.positional_embedding', 1)):
        if key not in state or key not in own or state[key].shape == own[key].shape:
            continue
        src, dst = state[key], own[key]
        if src.shape[1] != dst.shape[1]:
            continue  # a width mismatch: reported by the shape check
        if hasattr(model, 'token_embedding'):  # text tower: keep the first context_length positions
            if src.shape[0] >= dst.shape[0]:
                state[key] = src[:dst.shape[0]]
            continue
        side_src, side_dst = int(round((src.shape[0] - extra)**0.5)), int(round((dst.shape[0] - extra)**0.5))
        if side_src**2 + extra == src.shape[0] and side_dst**2 + extra == dst.shape[0]:
            state[key] = resize_pos_embed(src, extra, (side_src, side_src), (side_dst, side_dst),
                                          getattr(model, 'pos_interpolation', 'bicubic'))
    return state


def load_clip_weights(model: nn.Module, checkpoint: Union[str, StateDict], tower: Optional[str] = None,
                      prefix: Optional[str] = None) -> LoadReport:
    """Load one tower of a CLIP checkpoint into ``model`` (CLIPResNet, CLIPViT or CLIPTextTransformer).

    Positional embeddings are resized (image) or truncated (text) to the model's size. Missing keys (e.g. a
    feature pyramid the checkpoint never had) and unexpected ones are reported, not fatal; a checkpoint of
    another architecture or size is an error naming the first mismatching key and both shapes.

    Args:
        model: the encoder to fill.
        checkpoint: a path (any format of :func:`read_clip_checkpoint`) or OpenAI-named tensors.
        tower: ``'visual'`` or ``'text'``; default: ``'text'`` for a text encoder, else ``'visual'``.
        prefix: take only the keys starting with this prefix, stripped (e.g. ``'image_encoder.'`` in a
            CLIPPretrainer checkpoint), instead of locating the tower by OpenAI's names.

    Returns:
        The missing and unexpected keys.
    """
    source = checkpoint if isinstance(checkpoint, str) else 'the given state dict'
    state = read_clip_checkpoint(checkpoint) if isinstance(checkpoint, str) else checkpoint
    tower = tower or ('text' if hasattr(model, 'token_embedding') else 'visual')
    if prefix:
        weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    else:
        weights = clip_tower(state, tower)
    if not weights:
        raise CheckpointMismatchError(f'{source} holds no {tower} tower{" under " + prefix if prefix else ""} '
                                      f'(first keys: {list(state)[:3]})')
    weights = _fit_positional_embeddings(model, weights)
    own = model.state_dict()
    shared = [k for k in weights if k in own]
    if len(shared) < len(weights) / 2:
        first = next(k for k in weights if k not in own)
        raise CheckpointMismatchError(
            f'{source}: the {tower} tower does not match {type(model).__name__} ({len(shared)} of {len(weights)} keys '
            f'fit); first foreign key: {first!r} {tuple(weights[first].shape)} (is it another architecture?)')
    for key in shared:
        if weights[key].shape != own[key].shape:
            raise CheckpointMismatchError(
                f'{source}: {tower} key {key!r} has shape {tuple(weights[key].shape)} in the checkpoint but '
                f'{tuple(own[key].shape)} in {type(model).__name__} (another model size?)')
    result = model.load_state_dict({k: weights[k] for k in shared}, strict=False)
    return LoadReport(missing=list(result.missing_keys), unexpected=[k for k in weights if k not in own])
