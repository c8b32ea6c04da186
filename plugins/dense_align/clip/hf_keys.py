"""Renames Hugging Face ``CLIPModel`` weights to OpenAI CLIP's key names (the names our encoders use)."""
import re
from typing import Dict

import torch

_LAYER = re.compile(r'^(text|vision)_model\.encoder\.layers\.(\d+)\.(.+)$')
_RENAMES = {
    'text_model.embeddings.token_embedding.weight': 'token_embedding.weight',
    'text_model.embeddings.position_embedding.weight': 'positional_embedding',
    'text_model.final_layer_norm.weight': 'ln_final.weight',
    'text_model.final_layer_norm.bias': 'ln_final.bias',
    'vision_model.embeddings.class_embedding': 'visual.class_embedding',
    'vision_model.embeddings.patch_embedding.weight': 'visual.conv1.weight',
    'vision_model.embeddings.position_embedding.weight': 'visual.positional_embedding',
    'vision_model.pre_layrnorm.weight': 'visual.ln_pre.weight',
    'vision_model.pre_layrnorm.bias': 'visual.ln_pre.bias',
    'vision_model.post_layernorm.weight': 'visual.ln_post.weight',
    'vision_model.post_layernorm.bias': 'visual.ln_post.bias',
    'logit_scale': 'logit_scale',
}
_BLOCK_RENAMES = {
    'self_attn.out_proj.weight': 'attn.out_proj.weight', 'self_attn.out_proj.bias': 'attn.out_proj.bias',
    'layer_norm1.weight': 'ln_1.weight', 'layer_norm1.bias': 'ln_1.bias',
    'layer_norm2.weight': 'ln_2.weight', 'layer_norm2.bias': 'ln_2.bias',
    'mlp.fc1.weight': 'mlp.c_fc.weight', 'mlp.fc1.bias': 'mlp.c_fc.bias',
    'mlp.fc2.weight': 'mlp.c_proj.weight', 'mlp.fc2.bias': 'mlp.c_proj.bias',
}


def is_hf_clip_state_dict(state_dict: Dict[str, torch.Tensor]) -> bool:
    """Whether the keys are those of a Hugging Face ``CLIPModel`` (or its text/vision model).

    Args:
        state_dict: checkpoint tensors.

    Returns:
        True when HF names such as ``vision_model.embeddings...`` or ``text_model.encoder...`` appear.
    """
    return any(k.startswith(('vision_model.', 'text_model.')) for k in state_dict)


def hf_to_openai(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename HF ``CLIPModel`` tensors to OpenAI names (vision tower under ``visual.``).

    q/k/v projections are concatenated into ``attn.in_proj_weight``/``in_proj_bias``; the projection matrices are
    transposed (HF stores ``nn.Linear`` weights); ``position_ids`` buffers are dropped.

    Args:
        state_dict: HF tensors.

    Returns:
        Tensors under OpenAI CLIP key names; keys this function does not know are kept unchanged.
    """
    out: Dict[str, torch.Tensor] = {}
    qkv: Dict[str, Dict[str, torch.Tensor]] = {}
    for key, value in state_dict.items():
        if key.endswith('position_ids'):
            continue
        if key in _RENAMES:
            out[_RENAMES[key]] = value
        elif key == 'text_projection.weight':
            out['text_projection'] = value.t()
        elif key == 'visual_projection.weight':
            out['visual.proj'] = value.t()
        elif match := _LAYER.match(key):
            tower, index, rest = match.groups()
            prefix = f'{"visual." if tower == "vision" else ""}transformer.resblocks.{index}.'
            if rest in _BLOCK_RENAMES:
                out[prefix + _BLOCK_RENAMES[rest]] = value
            elif rest.startswith('self_attn.') and rest.split('.')[1] in ('q_proj', 'k_proj', 'v_proj'):
                _, proj, kind = rest.split('.')
                qkv.setdefault(f'{prefix}attn.in_proj_{kind}', {})[proj] = value
            else:
                out[key] = value
        else:
            out[key] = value
    for key, parts in qkv.items():
        if set(parts) != {'q_proj', 'k_proj', 'v_proj'}:
            raise KeyError(f'HF checkpoint: {key} is missing one of q_proj/k_proj/v_proj (has {sorted(parts)})')
        out[key] = torch.cat([parts['q_proj'], parts['k_proj'], parts['v_proj']], dim=0)
    return out
