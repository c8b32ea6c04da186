"""State dicts in exactly the layout of the authors' released checkpoints, for converter tests.

The module names below are read from the reference code, not from ours, so that a rename on our side fails the
tests: raoyongming/DenseCLIP 5eda47f (``segmentation/denseclip/models.py``: ``CLIPResNetWithAttention``,
``CLIPVisionTransformer`` with ``fpn1..4``, ``CLIPTextContextEncoder``, ``ContextDecoder`` /
``TransformerDecoderLayer`` / ``Attention``; ``denseclip.py``: ``contexts`` (1, n, C) and ``gamma``) and zdaxie/PixPro
e390d6b (``contrast/models/PixPro.py``: ``encoder``, ``encoder_k``, ``projector[_k]`` = ``MLP2d`` with ``linear1``,
``bn1``, ``linear2``, ``value_transform``, ``projector_instance[_k]``, ``predictor``; ``contrast/resnet.py``:
torchvision names). The CLIP towers are OpenAI's (open_clip builds them with the same names); the neck and heads are
mmseg/mmdet modules whose names are the same in mmseg 0.x / mmdet 2.x.
"""
from collections import OrderedDict
from typing import Dict, Sequence

import torch
from torch import nn


class RefAttention(nn.Module):
    """DenseCLIP's ``Attention``: bias-free q/k/v projections (``qkv_bias=False``) and an output ``proj``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(0.1)


class RefDecoderLayer(nn.Module):
    """DenseCLIP's ``TransformerDecoderLayer``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.self_attn = RefAttention(dim)
        self.cross_attn = RefAttention(dim)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(0.1)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Dropout(0.1), nn.Linear(dim * 4, dim))


class RefContextDecoder(nn.Module):
    """DenseCLIP's ``ContextDecoder(transformer_width, transformer_heads, transformer_layers, visual_dim)``."""

    def __init__(self, width: int, layers: int, visual_dim: int) -> None:
        super().__init__()
        self.memory_proj = nn.Sequential(nn.LayerNorm(visual_dim), nn.Linear(visual_dim, width), nn.LayerNorm(width))
        self.text_proj = nn.Sequential(nn.LayerNorm(visual_dim), nn.Linear(visual_dim, width))
        self.decoder = nn.ModuleList(RefDecoderLayer(width) for _ in range(layers))
        self.out_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, visual_dim))


def ref_vit_pyramid(width: int) -> Dict[str, nn.Module]:
    """``fpn1..fpn4`` of DenseCLIP's ``CLIPVisionTransformer`` for ``patch_size == 16`` (SyncBN has BN's keys)."""
    return dict(
        fpn1=nn.Sequential(nn.GroupNorm(1, width), nn.ConvTranspose2d(width, width, 2, 2), nn.BatchNorm2d(width),
                           nn.GELU(), nn.ConvTranspose2d(width, width, 2, 2)),
        fpn2=nn.Sequential(nn.GroupNorm(1, width), nn.ConvTranspose2d(width, width, 2, 2)),
        fpn3=nn.GroupNorm(1, width),
        fpn4=nn.Sequential(nn.GroupNorm(1, width), nn.MaxPool2d(2, 2)))


def prefixed(prefix: str, module: nn.Module) -> Dict[str, torch.Tensor]:
    """``module.state_dict()`` with every key under ``prefix``."""
    return OrderedDict((f'{prefix}{k}', v) for k, v in module.state_dict().items())


def denseclip_release(backbone: dict, text: dict, decoder: dict, num_context: int, text_dim: int,
                      mm_modules: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A released DenseCLIP state dict.

    Args:
        backbone: ``dict(kind='resnet', layers, width, output_dim, image_size)`` or ``dict(kind='vit', width, layers,
            heads, output_dim, image_size)`` (patch 16).
        text: ``dict(width, layers, heads, embed_dim)``; the released context length is 13 as in every config.
        decoder: ``dict(width, layers)`` of the context decoder.
        num_context: learnable context vectors (13 - 5 = 8 in the released models).
        text_dim: width of ``gamma``.
        mm_modules: the mmseg/mmdet neck and head tensors (``neck.*``, ``decode_head.*``, ``bbox_head.*`` ...).

    Returns:
        The state dict, keys in the reference order.
    """
    import open_clip
    from open_clip.model import ModifiedResNet
    from open_clip.transformer import VisionTransformer
    state: Dict[str, torch.Tensor] = OrderedDict()
    if backbone['kind'] == 'resnet':
        visual = ModifiedResNet(backbone['layers'], backbone['output_dim'], heads=backbone['width'] * 32 // 64,
                                image_size=backbone['image_size'], width=backbone['width'])
        state.update(prefixed('backbone.', visual))
    else:
        w = backbone['width']
        visual = VisionTransformer(image_size=backbone['image_size'], patch_size=16, width=w, layers=backbone['layers'],
                                   heads=backbone['heads'], mlp_ratio=4.0, output_dim=backbone['output_dim'])
        state.update(prefixed('backbone.', visual))
        for name, module in ref_vit_pyramid(w).items():
            state.update(prefixed(f'backbone.{name}.', module))
    clip = open_clip.CLIP(embed_dim=text['embed_dim'], vision_cfg=dict(layers=(1, 1, 1, 1), width=8, image_size=32),
                          text_cfg=dict(context_length=13, width=text['width'], heads=text['heads'],
                                        layers=text['layers']))
    for key, value in clip.state_dict().items():
        if key.startswith(('transformer.', 'token_embedding.', 'ln_final.')) or key in ('positional_embedding',
                                                                                         'text_projection'):
            state[f'text_encoder.{key}'] = value
    visual_dim = text['embed_dim']
    state.update(prefixed('context_decoder.', RefContextDecoder(decoder['width'], decoder['layers'], visual_dim)))
    state.update(mm_modules)
    state['contexts'] = torch.randn(1, num_context, text['width'])
    state['gamma'] = torch.full((text_dim, ), 1e-4)
    return state


def mmcv1_checkpoint(state: Dict[str, torch.Tensor], classes: Sequence[str], codebase: str) -> dict:
    """What mmcv 1.x ``save_checkpoint`` writes for an mmseg 0.19 / mmdet 2.17 model: meta (plain types), the state
    dict, the optimizer state."""
    meta = dict(mmcv_version='1.3.17', time='Sat Dec  4 12:00:00 2021', env_info='sys.platform: linux', seed=0,
                exp_name='denseclip.py', CLASSES=tuple(classes), config='model = dict(...)', iter=80000, epoch=1,
                hook_msgs=dict(last_ckpt='work_dirs/latest.pth'))
    meta[f'{codebase}_version'] = '0.19.0' if codebase == 'mmseg' else '2.17.0'
    return dict(meta=meta, state_dict=state, optimizer=dict(state={}, param_groups=[dict(lr=1e-6, params=[0])]))


def torchvision_resnet_keys(depth: int) -> Dict[str, torch.Tensor]:
    """The encoder of PixPro's ``contrast/resnet.py`` (torchvision names, no head with ``early_return``)."""
    import torchvision
    model = getattr(torchvision.models, f'resnet{depth}')()
    return OrderedDict((k, v) for k, v in model.state_dict().items() if not k.startswith('fc.'))


def ref_mlp2d(in_dim: int, inner_dim: int, out_dim: int) -> nn.Module:
    """PixPro's ``MLP2d``: ``linear1`` (1x1 conv, bias), ``bn1``, ``relu1``, ``linear2``."""
    module = nn.Module()
    module.linear1 = nn.Conv2d(in_dim, inner_dim, 1)
    module.bn1 = nn.BatchNorm2d(inner_dim)
    module.relu1 = nn.ReLU()
    module.linear2 = nn.Conv2d(inner_dim, out_dim, 1)
    return module


def pixpro_release(depth: int, in_dim: int, inner_dim: int, out_dim: int, instance: bool) -> dict:
    """A released PixPro file: ``{'model': state}`` with the DDP ``module.`` prefix (publish_model.py keeps only
    ``model``); ``value_transform`` is the 1-layer conv of the released scripts."""
    torch.manual_seed(0)
    state: Dict[str, torch.Tensor] = OrderedDict()
    encoder = {k: v + torch.rand_like(v.float()).to(v.dtype) if v.is_floating_point() else v
               for k, v in torchvision_resnet_keys(depth).items()}
    state.update((f'module.encoder.{k}', v) for k, v in encoder.items())
    state.update(prefixed('module.projector.', ref_mlp2d(in_dim, inner_dim, out_dim)))
    state.update((f'module.encoder_k.{k}', v.clone() + 1 if v.is_floating_point() else v.clone())
                 for k, v in encoder.items())
    state.update(prefixed('module.projector_k.', ref_mlp2d(in_dim, inner_dim, out_dim)))
    state.update(prefixed('module.value_transform.', nn.Conv2d(out_dim, out_dim, 1)))
    if instance:
        state.update(prefixed('module.projector_instance.', ref_mlp2d(in_dim, inner_dim, out_dim)))
        state.update(prefixed('module.projector_instance_k.', ref_mlp2d(in_dim, inner_dim, out_dim)))
        state.update(prefixed('module.predictor.', ref_mlp2d(out_dim, inner_dim, out_dim)))
    return {'model': state}
