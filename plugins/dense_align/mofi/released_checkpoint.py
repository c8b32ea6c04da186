"""Apple's released MOFI checkpoints (``mofi-{b16,l14,h14}-hf`` folders, read by ``transformers.AutoModel`` and
used through ``get_image_features``): the image tower into our ``CLIPViT``, when the folder is in Hugging Face's
``CLIPModel`` layout.

Only that layout is read: ``AutoModel.from_pretrained(folder)`` without ``trust_remote_code`` (ml-mofi's README)
needs a model type built into transformers that has ``get_image_features`` and ``get_text_features``, which
``CLIPModel`` has; but the folders themselves (Apple's CDN) could not be downloaded here, so the layout is inferred,
not seen. Any other ``model_type`` is an error that names it. The text tower is not loaded: it pairs with an
OPT-based tokenizer (custom bos/eos/pad), and our text encoder pools at the highest token id (CLIP's EOT).
"""
import json
import os.path as osp
from typing import Tuple

import torch

from ..clip.vit import CLIPViT
from ..clip.weights import LoadReport, load_clip_weights, read_clip_checkpoint

_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
_ACTS = {'quick_gelu': 'quick_gelu', 'gelu': 'gelu'}


def vit_arch_from_hf_config(folder: str) -> Tuple[dict, str]:
    """Our ``CLIPViT`` arch dict and activation from a ``CLIPModel`` folder's ``config.json``.

    Args:
        folder: the checkpoint folder.

    Returns:
        ``(arch, act)``.
    """
    path = osp.join(folder, 'config.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{folder}: no config.json (expected a Hugging Face model folder)')
    with open(path) as f:
        config = json.load(f)
    if config.get('model_type') != 'clip':
        raise ValueError(f'{path}: model_type {config.get("model_type")!r}; only the Hugging Face CLIPModel layout '
                         f'("clip") is supported for MOFI checkpoints')
    vision = config.get('vision_config', {})
    act = vision.get('hidden_act', 'quick_gelu')
    if act not in _ACTS:
        raise ValueError(f'{path}: vision hidden_act {act!r} is not one of {sorted(_ACTS)}')
    width = vision.get('hidden_size', 768)
    if vision.get('intermediate_size', 4 * width) != 4 * width:
        raise ValueError(f'{path}: vision intermediate_size {vision["intermediate_size"]} is not 4 x hidden_size '
                         f'({width}), the MLP ratio of CLIPViT')
    arch = dict(patch_size=vision.get('patch_size', 32), width=vision.get('hidden_size', 768),
                layers=vision.get('num_hidden_layers', 12), heads=vision.get('num_attention_heads', 12),
                output_dim=config.get('projection_dim', 512), image_size=vision.get('image_size', 224))
    return arch, _ACTS[act]


def load_mofi_image_encoder(folder: str) -> Tuple[CLIPViT, LoadReport]:
    """Build a ``CLIPViT`` (``with_embeddings=True``) sized by the folder's config and load its image tower.

    Args:
        folder: an unzipped MOFI release (``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``).

    Returns:
        ``(encoder, report)``; the encoder's ``global_embed`` is ``get_image_features`` of the release.
    """
    arch, act = vit_arch_from_hf_config(folder)
    weights = next((osp.join(folder, n) for n in _WEIGHT_FILES if osp.isfile(osp.join(folder, n))), None)
    if weights is None:
        raise FileNotFoundError(f'{folder}: none of {list(_WEIGHT_FILES)} (sharded weights are not supported)')
    encoder = CLIPViT(arch=arch, out_indices=(-1, ), with_embeddings=True, act=act)
    report = load_clip_weights(encoder, read_clip_checkpoint(weights), tower='visual')
    encoder.eval()
    return encoder, report


@torch.no_grad()
def mofi_image_features(encoder: CLIPViT, images: torch.Tensor) -> torch.Tensor:
    """``get_image_features`` of the release: (B, 3, H, W) normalised images -> (B, D) (not normalised)."""
    return encoder(images)[-2]
