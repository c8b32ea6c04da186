"""Every registered backbone takes the deprecated ``pretrained`` argument as mmseg's/mmdet's backbones do."""
import pytest
from mmengine.registry import DefaultScope

import dense_align  # noqa: F401
from dense_align.registry import MODELS

BACKBONES = {
    'CLIPResNet': dict(type='CLIPResNet', arch='tiny'),
    'CLIPViT': dict(type='CLIPViT', arch='tiny'),
    'BackboneWithAttentionPool': dict(type='BackboneWithAttentionPool',
                                      backbone=dict(type='mmdet.ResNet', depth=18, base_channels=16),
                                      in_channels=(16, 32, 64, 128), embed_dim=32, num_heads=2, grid=2),
    'CrossFrameViT': dict(type='CrossFrameViT', arch='tiny'),
}


def build(name: str, **kwargs):
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(dict(BACKBONES[name], **kwargs))


@pytest.mark.parametrize('name', list(BACKBONES))
def test_pretrained_becomes_a_pretrained_init_cfg(name):
    with pytest.warns(DeprecationWarning, match=f'{name}: pretrained is deprecated'):
        backbone = build(name, pretrained='weights/backbone.pth')
    assert backbone.init_cfg == dict(type='Pretrained', checkpoint='weights/backbone.pth')
    assert build(name).init_cfg is None  # without it nothing changes


@pytest.mark.parametrize('name', list(BACKBONES))
def test_pretrained_and_init_cfg_together_is_an_error(name):
    init_cfg = dict(type='Pretrained', checkpoint='b.pth')
    with pytest.raises(ValueError, match=rf"{name}: pretrained='a.pth' and init_cfg=.*'b.pth'.* were both given"):
        build(name, pretrained='a.pth', init_cfg=init_cfg)
    with pytest.raises(TypeError, match=f'{name}: pretrained must be a checkpoint path'):
        build(name, pretrained=3)
