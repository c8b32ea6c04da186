"""X-CLIP weights in three namings: ours, the original X-CLIP release (``microsoft/VideoX``), and Hugging Face
``XCLIPModel``. Ours equals the original except that the text tower sits under ``text_encoder.``."""
import re
from typing import Dict

import torch

from ..clip.hf_keys import hf_to_openai

StateDict = Dict[str, torch.Tensor]
TEXT_KEYS = ('token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.', 'text_projection')
_HF_BLOCK = {'layer_norm1': 'ln_1', 'layer_norm2': 'ln_2', 'mlp.fc1': 'mlp.c_fc', 'mlp.fc2': 'mlp.c_proj',
             'self_attn.out_proj': 'attn.out_proj', 'message_attn.out_proj': 'message_attn.out_proj'}
_HF_TOP = {'mit.position_embedding': 'mit.positional_embedding', 'prompts_visual_projection': 'prompts_visual_proj'}
_HF_PREFIXES = {'prompts_visual_layernorm.': 'prompts_visual_ln.', 'prompts_generator.layernorm.':
                'prompts_generator.norm.'}
_HF_MESSAGE = re.compile(r'^vision_model\.encoder\.layers\.(\d+)\.(message_\w+)\.(.+)$')
_HF_MIT = re.compile(r'^mit\.encoder\.layers\.(\d+)\.(.+)$')
_QKV = re.compile(r'^(.*)\.(self_attn|message_attn)\.([qkv])_proj\.(weight|bias)$')


def original_to_ours(state: StateDict) -> StateDict:
    """Original X-CLIP names (``module.`` prefixes accepted) -> ours (text tower under ``text_encoder.``)."""
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()
             if isinstance(v, torch.Tensor)}
    return {f'text_encoder.{k}' if k.startswith(TEXT_KEYS) else k: v for k, v in state.items()}


def ours_to_original(state: StateDict) -> StateDict:
    """Ours -> the original X-CLIP names."""
    return {k[len('text_encoder.'):] if k.startswith('text_encoder.') else k: v for k, v in state.items()}


def _merge_qkv(parts: Dict[str, Dict[str, torch.Tensor]]) -> StateDict:
    merged = {}
    for key, qkv in parts.items():
        if set(qkv) != {'q', 'k', 'v'}:
            raise KeyError(f'X-CLIP checkpoint: {key} lacks one of q/k/v projections (has {sorted(qkv)})')
        merged[key] = torch.cat([qkv['q'], qkv['k'], qkv['v']], dim=0)
    return merged


def hf_to_original(state: StateDict) -> StateDict:
    """Hugging Face ``XCLIPModel`` names -> the original X-CLIP names.

    q/k/v projections of the message attention and of the integration transformer are concatenated into
    ``in_proj_*``; the CLIP towers go through :func:`dense_align.clip.hf_keys.hf_to_openai`.
    """
    out: StateDict = {}
    qkv: Dict[str, Dict[str, torch.Tensor]] = {}
    clip_part: StateDict = {}
    for key, value in state.items():
        if key.endswith('position_ids'):
            continue
        if key in _HF_TOP:
            out[_HF_TOP[key]] = value
            continue
        prefix = next((p for p in _HF_PREFIXES if key.startswith(p)), None)
        if prefix:
            out[_HF_PREFIXES[prefix] + key[len(prefix):]] = value
            continue
        message, mit = _HF_MESSAGE.match(key), _HF_MIT.match(key)
        if message or mit:
            base = (f'visual.transformer.resblocks.{message.group(1)}.' if message
                    else f'mit.resblocks.{mit.group(1)}.')
            rest = f'{message.group(2)}.{message.group(3)}' if message else mit.group(2)
            split = _QKV.match('x.' + rest)
            if split:
                attn = 'attn' if split.group(2) == 'self_attn' else 'message_attn'
                qkv.setdefault(f'{base}{attn}.in_proj_{split.group(4)}', {})[split.group(3)] = value
                continue
            for hf_name, name in _HF_BLOCK.items():
                if rest.startswith(hf_name + '.'):
                    rest = name + rest[len(hf_name):]
                    break
            out[base + rest] = value
            continue
        if key.startswith('vision_model.pre_layernorm.'):  # CLIPModel spells it pre_layrnorm
            key = key.replace('pre_layernorm', 'pre_layrnorm')
        clip_part[key] = value
    out.update(hf_to_openai(clip_part))
    out.update(_merge_qkv(qkv))
    return out


def is_hf_xclip(state: StateDict) -> bool:
    """Whether the keys are Hugging Face ``XCLIPModel``'s."""
    return any(k.startswith(('vision_model.', 'text_model.', 'mit.encoder.')) for k in state)
