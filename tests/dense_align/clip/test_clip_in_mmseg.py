"""The CLIP backbones plug into an mmseg segmentor by config (default scope 'mmseg', no prefix)."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData


@pytest.mark.parametrize('backbone, channels', [
    (dict(type='CLIPViT', arch='tiny', pyramid=True), [64] * 4),
    (dict(type='CLIPResNet', arch='tiny', frozen_stages=1), [64, 128, 256, 512]),
])
def test_semantic_fpn_with_clip_backbone_trains_and_predicts(backbone, channels):
    import dense_align  # noqa: F401
    import mmseg.models  # noqa: F401
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', size=(64, 64)),
        backbone=backbone,
        neck=dict(type='FPN', in_channels=channels, out_channels=16, num_outs=4),
        decode_head=dict(type='FPNHead', in_channels=[16] * 4, in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
                         channels=16, num_classes=3, norm_cfg=dict(type='BN', requires_grad=True)),
        test_cfg=ConfigDict(mode='whole'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg)
    model.init_weights()
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, 64, 64)))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    model.eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(2, 3, 64, 64), samples)
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)
