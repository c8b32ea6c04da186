"""Every released DenseCLIP model (raoyongming/DenseCLIP README) maps onto the model built from our matching config
with no missing key, no unexpected key and equal shapes, at full size (built on the meta device: names and shapes
only)."""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import dense_align  # noqa: F401
from dense_align.denseclip.released_checkpoint import (ShapesOnly, convert_for_model, map_pyramid,
                                                      released_denseclip_to_ours)

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'tests/helpers'))
from released_layouts import denseclip_release, mmcv1_checkpoint  # noqa: E402

MM_PREFIXES = ('neck.', 'decode_head.', 'auxiliary_head.', 'bbox_head.', 'rpn_head.', 'roi_head.')
RN50 = dict(kind='resnet', layers=(3, 4, 6, 3), width=64, output_dim=1024)
RN101 = dict(kind='resnet', layers=(3, 4, 23, 3), width=64, output_dim=512)
VIT_B16 = dict(kind='vit', width=768, layers=12, heads=12, output_dim=512, image_size=640)
TEXT = dict(width=512, layers=12, heads=8)
# released file (README), our config, backbone, text/joint width
RELEASES = [
    ('denseclip_fpn_res50 (ADE20K 43.5)', 'denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py',
     dict(RN50, image_size=512), 1024),
    ('denseclip_fpn_res101 (ADE20K 45.1)', 'denseclip_rn101_fpn_8xb4-80k_ade20k-512x512.py',
     dict(RN101, image_size=512), 512),
    ('denseclip_fpn_vit-b (ADE20K 50.6)', 'denseclip_vit-b16_fpn_8xb4-80k_ade20k-640x640.py', VIT_B16, 512),
    ('retinanet_denseclip_r50 (COCO 37.8)', 'denseclip-retinanet_rn50_fpn_8xb2-1x_coco.py',
     dict(RN50, image_size=1344), 1024),
    ('retinanet_denseclip_r101 (COCO 41.1)', 'denseclip-retinanet_rn101_fpn_8xb2-1x_coco.py',
     dict(RN101, image_size=1344), 512),
    ('mask_rcnn_denseclip_r50 (COCO 40.2/37.6)', 'denseclip-mask-rcnn_rn50_fpn_8xb2-1x_coco.py',
     dict(RN50, image_size=1344), 1024),
    ('mask_rcnn_denseclip_r101 (COCO 42.6/39.6)', 'denseclip-mask-rcnn_rn101_fpn_8xb2-1x_coco.py',
     dict(RN101, image_size=1344), 512),
]


def build_on_meta(config: str) -> torch.nn.Module:
    cfg = Config.fromfile(REPO / 'configs/denseclip' / config)
    init_default_scope(cfg.default_scope)
    with ShapesOnly():
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('name,config,backbone,dim', RELEASES, ids=[r[0].split()[0] for r in RELEASES])
def test_release_covers_our_config_exactly(name, config, backbone, dim):
    model = build_on_meta(config)
    target = model.state_dict()
    mm = {k: v for k, v in target.items() if k.startswith(MM_PREFIXES)}
    with ShapesOnly():
        state = denseclip_release(backbone, dict(TEXT, embed_dim=dim), dict(width=256, layers=3), 8, dim, mm)
    codebase = 'mmseg' if 'ade20k' in config else 'mmdet'
    ours = convert_for_model(mmcv1_checkpoint(state, model.class_names, codebase), model, name)
    assert list(ours) == list(target)
    assert all(ours[k].shape == target[k].shape for k in target)
    assert len(ours) == len(state)  # one tensor each, nothing dropped or invented
    assert model.prompting.prompt_learner.context_length == 13  # the released text positions cover our prompts


def test_released_vit_pyramid_maps_module_by_module():
    """The reference fpn1..4 (GN, deconv, SyncBN, GELU, deconv | GN, deconv | GN | GN, max-pool) land on the same
    modules of our pyramid, including the bare ``fpn3`` GroupNorm."""
    model = build_on_meta('denseclip_vit-b16_fpn_8xb4-80k_ade20k-640x640.py')
    target = model.state_dict()
    mm = {k: v for k, v in target.items() if k.startswith(MM_PREFIXES)}
    state = denseclip_release(dict(VIT_B16, width=64, layers=4, heads=2), dict(TEXT, width=32, layers=1, heads=2,
                                                                                 embed_dim=512),
                              dict(width=256, layers=3), 8, 512, mm)
    pyramid = {k: v for k, v in state.items() if k.startswith('backbone.fpn')}
    ours_names = {k: v for k, v in target.items() if k.startswith('backbone.pyramid.')}
    mapped = map_pyramid(pyramid, ours_names)  # matched by module kind and order (names), not by shape
    expected = {'backbone.pyramid.levels.0.0.weight': 'backbone.fpn1.0.weight',
                'backbone.pyramid.levels.0.1.weight': 'backbone.fpn1.1.weight',
                'backbone.pyramid.levels.0.2.running_var': 'backbone.fpn1.2.running_var',
                'backbone.pyramid.levels.0.4.bias': 'backbone.fpn1.4.bias',
                'backbone.pyramid.levels.1.0.bias': 'backbone.fpn2.0.bias',
                'backbone.pyramid.levels.1.1.weight': 'backbone.fpn2.1.weight',
                'backbone.pyramid.levels.2.0.weight': 'backbone.fpn3.weight',
                'backbone.pyramid.levels.3.0.bias': 'backbone.fpn4.0.bias'}
    for ours, theirs in expected.items():
        assert mapped[ours] is pyramid[theirs], ours
    assert len(mapped) == len(pyramid) == len(ours_names)


def test_mismatch_is_an_error_naming_the_keys():
    model = build_on_meta('denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py')
    target = model.state_dict()
    mm = {k: v for k, v in target.items() if k.startswith(MM_PREFIXES)}
    with ShapesOnly():  # an RN101 release into the RN50 config
        state = denseclip_release(dict(RN101, image_size=512), dict(TEXT, embed_dim=512), dict(width=256, layers=3),
                                  8, 512, mm)
    with pytest.raises(ValueError, match=r'rn101\.pth: .*unexpected \[\'backbone\.layer3\.'):
        released_denseclip_to_ours(state, target, source='rn101.pth')
    checkpoint = mmcv1_checkpoint(state, ['wall', 'floor'], 'mmseg')
    with pytest.raises(ValueError, match='released for 2 classes'):
        convert_for_model(checkpoint, model, 'rn101.pth')
    assert convert_for_model({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}}, model) is None
