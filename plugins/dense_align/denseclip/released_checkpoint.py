"""The authors' released DenseCLIP checkpoints (mmseg 0.x / mmdet 2.x, raoyongming/DenseCLIP) in our models' names.

The released files hold the state dict of the reference ``DenseCLIP`` segmentor or ``DenseCLIP_RetinaNet`` /
``DenseCLIP_MaskRCNN`` detector. Their neck and heads are mmseg/mmdet modules whose names did not change in
mmseg 1.x / mmdet 3.x, and the CLIP towers use OpenAI's names, as ours do. What differs (checked against
raoyongming/DenseCLIP 5eda47f, ``segmentation/denseclip/{denseclip,models}.py``, ``detection/denseclip/``):

=====================================  ===============================================================
released                               ours
=====================================  ===============================================================
``contexts`` (1, n, C)                 ``prompting.prompt_learner.context`` (n, C)
``gamma``                              ``prompting.gamma``
``context_decoder.text_proj.*``        ``prompting.context_decoder.query_proj.*``
``context_decoder.*``                  ``prompting.context_decoder.*``
``backbone.fpn{1..4}.*`` (ViT-B/16)    ``backbone.pyramid.levels.{0..3}.*``, module by module in order
``text_encoder.positional_embedding``  the same, zero-padded from the released 13 rows to our context length (the
                                       prompts use the first 13 positions only; the padding is never read)
=====================================  ===============================================================
"""
import re
from collections import defaultdict
from typing import Dict, List, Mapping, Optional, Tuple

import torch
from torch.overrides import TorchFunctionMode

from ..engine.released_checkpoint import register_released_layout

#: Keys only a released DenseCLIP state dict has at its top level.
RELEASED_MARKERS = ('contexts', 'gamma')
PYRAMID_PREFIX = 'backbone.pyramid.levels.'
_FPN = re.compile(r'^backbone\.fpn([1-4])\.(.+)$')


def is_released_denseclip(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` is in the released DenseCLIP layout (``contexts``, ``gamma``, ``context_decoder.*``)."""
    return all(k in state for k in RELEASED_MARKERS) and any(k.startswith('context_decoder.') for k in state)


def _split_module(key: str) -> Tuple[str, str]:
    """``'a.b.weight'`` -> ``('a.b', 'weight')``."""
    module, _, name = key.rpartition('.')
    return module, name


def _modules_in_order(keys: List[str]) -> List[Tuple[str, List[str]]]:
    """Group parameter keys by their module (first appearance order) -> ``[(module, [param names])]``."""
    grouped: Dict[str, List[str]] = {}
    for key in keys:
        module, name = _split_module(key)
        grouped.setdefault(module, []).append(name)
    return list(grouped.items())


def _index(module: str) -> int:
    """Position of a released ``fpnK[.i]`` module inside its level (a bare ``fpn3`` GroupNorm is position 0)."""
    last = module.rsplit('.', 1)[-1]
    return int(last) if last.isdigit() else 0


def map_pyramid(released: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Map the reference ViT's ``fpn1..fpn4`` onto our simple feature pyramid, module by module in order.

    Args:
        released: the released ``backbone.fpn*`` tensors.
        target: our model's state dict (names and shapes are read).

    Returns:
        The tensors under our names.

    Raises:
        ValueError: a level has a different number of modules, or modules of another kind or shape.
    """
    out = {}
    by_level = defaultdict(list)
    for key in released:
        by_level[int(_FPN.match(key).group(1))].append(key)
    for level, keys in sorted(by_level.items()):
        ours_prefix = f'{PYRAMID_PREFIX}{level - 1}.'
        theirs = sorted(_modules_in_order(keys), key=lambda item: _index(item[0]))
        ours = _modules_in_order([k for k in target if k.startswith(ours_prefix)])
        kinds = [sorted(names) for _, names in theirs], [sorted(names) for _, names in ours]
        if kinds[0] != kinds[1]:
            raise ValueError(f'released backbone.fpn{level} has modules {[m for m, _ in theirs]} with parameters '
                             f'{kinds[0]}, but our {ours_prefix[:-1]} has {[m for m, _ in ours]} with {kinds[1]}: '
                             'the simple feature pyramid does not match the reference one')
        for (their_module, names), (our_module, _) in zip(theirs, ours):
            for name in names:
                out[f'{our_module}.{name}'] = released[f'{their_module}.{name}']
    return out


def fit_text_positions(positions: torch.Tensor, rows: int, prompt_length: Optional[int]) -> torch.Tensor:
    """Zero-pad (or cut) the released text positional embedding to ``rows``.

    Args:
        positions: released (L, C) embedding (L = 13 in every released model).
        rows: our text encoder's context length.
        prompt_length: positions our prompts use; must be at most L, since later rows were never trained.

    Returns:
        (rows, C) embedding whose first ``min(L, rows)`` rows are the released ones.
    """
    length = positions.shape[0]
    if prompt_length is not None and prompt_length > length:
        raise ValueError(f'our prompts need {prompt_length} positions but the released text encoder has only {length}: '
                         'use the class names and num_context of the released model')
    if rows <= length:
        return positions[:rows]
    return torch.cat([positions, positions.new_zeros(rows - length, positions.shape[1])])


def released_denseclip_to_ours(state: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor],
                               prompt_length: Optional[int] = None,
                               source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """Rename a released DenseCLIP state dict into our model's names and check it covers the model exactly.

    Args:
        state: the released ``state_dict``.
        target: our model's ``state_dict()`` (only names and shapes are read; meta tensors are fine).
        prompt_length: positions our prompts use (``model.prompting.prompt_learner.context_length``), checked against
            the released text positions.
        source: file name for messages.

    Returns:
        A state dict with exactly the keys and shapes of ``target``.

    Raises:
        ValueError: keys left over or missing after renaming, or shapes that differ (the message lists them).
    """
    out: Dict[str, torch.Tensor] = {}
    pyramid = {}
    for key, value in state.items():
        if key == 'contexts':
            out['prompting.prompt_learner.context'] = value.reshape(-1, value.shape[-1])
        elif key == 'gamma':
            out['prompting.gamma'] = value
        elif key.startswith('context_decoder.'):
            rest = re.sub(r'^text_proj\.', 'query_proj.', key[len('context_decoder.'):])
            out[f'prompting.context_decoder.{rest}'] = value
        elif _FPN.match(key):
            pyramid[key] = value
        else:
            out[key] = value
    if pyramid:
        out.update(map_pyramid(pyramid, target))
    key = 'text_encoder.positional_embedding'
    if key in out and key in target:
        out[key] = fit_text_positions(out[key], target[key].shape[0], prompt_length)
    missing = sorted(set(target) - set(out))
    unexpected = sorted(set(out) - set(target))
    mismatched = [f'{k}: released {tuple(out[k].shape)}, ours {tuple(target[k].shape)}' for k in sorted(out)
                  if k in target and out[k].shape != target[k].shape]
    if missing or unexpected or mismatched:
        raise ValueError(f'{source}: the released DenseCLIP checkpoint does not fit this model (another size or '
                         f'config?): missing {missing[:8]}{" ..." if len(missing) > 8 else ""} ({len(missing)}), '
                         f'unexpected {unexpected[:8]}{" ..." if len(unexpected) > 8 else ""} ({len(unexpected)}), '
                         f'shape mismatches {mismatched[:8]} ({len(mismatched)})')
    return {k: out[k] for k in target}


class ShapesOnly(TorchFunctionMode):
    """Within this mode, parameters and buffers are created on the meta device (names and shapes, no memory), so that
    a full-size model is built in a second to check a checkpoint against it. Small helper tensors that module
    constructors read back (``torch.linspace(...).tolist()``, token ids) stay on the CPU."""

    META_FACTORIES = {torch.empty, torch.zeros, torch.ones, torch.full, torch.randn, torch.rand}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in self.META_FACTORIES and kwargs.get('device') is None:
            kwargs['device'] = 'meta'
        return func(*args, **kwargs)


def convert_for_model(checkpoint: dict, model: torch.nn.Module, source: str = 'checkpoint') -> Optional[dict]:
    """A released DenseCLIP checkpoint renamed for ``model``, or None if ``checkpoint`` is in another layout.

    Args:
        checkpoint: the loaded file (``{'state_dict', 'meta', 'optimizer'}`` as mmcv 1.x writes it).
        model: our DenseCLIP segmentor or detector built from the matching config.
        source: file name for messages.

    Returns:
        The state dict for ``model``, or None.

    Raises:
        ValueError: the released class list (``meta['CLASSES']``) differs from the model's ``class_names``, or the
            weights do not fit the model.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not is_released_denseclip(state):
        return None
    classes = (checkpoint.get('meta') or {}).get('CLASSES')
    ours = getattr(model, 'class_names', None)
    if classes and ours and list(classes) != list(ours):
        raise ValueError(f'{source}: released for {len(classes)} classes {list(classes)[:3]}..., but the model has '
                         f'class_names {list(ours)[:3]}... ({len(ours)}): the score-map channels would not match')
    prompting = getattr(model, 'prompting', None)
    prompt_length = prompting.prompt_learner.context_length if prompting is not None else None
    return released_denseclip_to_ours(state, model.state_dict(), prompt_length, source)


register_released_layout('DenseCLIP (raoyongming/DenseCLIP, mmseg 0.x / mmdet 2.x)', convert_for_model)
