"""The CLIP backbones hand NCHW-contiguous maps to the neck, on the fast path too: mmcv's CPU ``roi_align`` reads a
channels-last tensor as if it were NCHW, so a channels-last map gave scrambled RoI features in any two-stage detector
(DenseCLIP Faster/Mask R-CNN under ``tools/test.py``, whose fast path runs CLIPResNet channels-last)."""
import pytest
import torch
from mmdet.registry import MODELS
from torchvision.ops import roi_align as tv_roi_align

import dense_align  # noqa: F401
from dense_align.clip.fast_path import set_fast_inference

RESNET = dict(type='dense_align.CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64),
              out_indices=(0, 1, 2, 3))
VIT = dict(type='dense_align.CLIPViT', arch=dict(patch_size=8, width=32, layers=2, heads=2, output_dim=32,
                                                  image_size=64), out_indices=(0, 1), pyramid=False)


@pytest.mark.parametrize('backbone_cfg', [RESNET, VIT], ids=['resnet', 'vit'])
def test_fpn_roi_features_equal_torchvision_on_the_fast_path(backbone_cfg):
    torch.manual_seed(0)
    backbone = MODELS.build(backbone_cfg).eval()
    assert set_fast_inference(backbone, True) == 1
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        maps = backbone(images)
    assert all(m.is_contiguous() for m in maps)
    level = maps[0]
    stride = 64 // level.shape[-1]
    neck = MODELS.build(dict(type='FPN', in_channels=[level.shape[1]], out_channels=8, num_outs=1)).eval()
    extractor = MODELS.build(dict(type='SingleRoIExtractor', out_channels=8, featmap_strides=[stride],
                                  roi_layer=dict(type='RoIAlign', output_size=3, sampling_ratio=2, aligned=True)))
    rois = torch.tensor([[0, 3., 5., 40., 33.], [1, 10., 2., 60., 50.], [1, 0., 0., 64., 64.]])
    with torch.no_grad():
        feats = neck((level, ))
        ours = extractor(feats, rois)
        ref = tv_roi_align(feats[0].contiguous(), rois, 3, 1.0 / stride, 2, aligned=True)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-5)
