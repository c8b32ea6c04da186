"""Locked towers as in open_clip / LiT: every parameter of the locked tower frozen (the attention pool, ln_post and
proj included) and its BatchNorm statistics unchanged by training-mode forwards."""
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from conftest import REPO
from dense_align.registry import MODELS

CONFIG = REPO / 'configs/imagetext/clip_rn-tiny_1xb128-600it_demo-shapes-64x64.py'
VIT = dict(type='CLIPViT', arch=dict(patch_size=16, width=32, layers=2, heads=2, output_dim=64, image_size=32),
           out_indices=(-1, ), with_embeddings=True)


def _build(**overrides):
    cfg = Config.fromfile(str(CONFIG)).model
    for key, value in overrides.items():  # replace, not merge
        cfg[key] = value
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(cfg)


def test_locked_resnet_image_tower_is_fully_frozen_with_bn_statistics():
    model = _build(lock_image=True)
    model.train()
    image = model.image_encoder
    assert not any(p.requires_grad for p in image.parameters())
    assert any(n.startswith('attnpool') for n, _ in image.named_parameters())
    assert all(p.requires_grad for p in model.text_encoder.parameters()) and model.temperature.logit_scale.requires_grad
    stats = {n: b.clone() for n, b in image.named_buffers() if 'running' in n}
    samples = [BaseDataElement(metainfo=dict(caption=f'a photo of {i}')) for i in range(4)]
    model(torch.randn(4, 3, 64, 64) * 3 + 1, samples, mode='loss')['loss_itc'].backward()
    assert stats and all(torch.equal(b, stats[n]) for n, b in image.named_buffers() if 'running' in n)
    assert all(p.grad is None for p in image.parameters())
    assert model.text_encoder.text_projection.grad is not None


def test_locked_vit_image_tower_and_locked_text_tower():
    model = _build(lock_image=True, image_encoder=VIT)
    names = {n for n, p in model.image_encoder.named_parameters() if not p.requires_grad}
    assert {'class_embedding', 'proj', 'ln_post.weight', 'ln_post.bias', 'conv1.weight'} <= names
    assert names == {n for n, _ in model.image_encoder.named_parameters()}
    text_locked = _build(lock_text=True)
    text_locked.train()
    assert not any(p.requires_grad for p in text_locked.text_encoder.parameters())
    assert not text_locked.text_encoder.training and text_locked.image_encoder.training
    assert all(p.requires_grad for p in text_locked.image_encoder.parameters())
