"""mmseg's and mmdet's own tools/train.py and tools/test.py (shipped in their packages under ``.mim/tools``, which never import our
packages) train their own model-zoo configs with each backbone we register into their MODELS swapped in, found through
``custom_imports`` alone and initialised through the deprecated ``pretrained`` argument: the model-level one of the
mmseg zoo config (which mmseg's ``EncoderDecoder`` hands to the backbone) and a backbone-level one for mmdet.

The scripts run in this process (``runpy``, their ``__main__``), which saves an interpreter start-up per case. The
learning rate is 0, so the trained backbone must still equal the checkpoint named by ``pretrained``; their test.py
then evaluates the saved checkpoint.
"""
import runpy
import sys
from pathlib import Path

import mmdet
import mmseg
import pytest
import torch
from mmengine.registry import DefaultScope

from align_core.checkpoint import safe_load
from conftest import det_data_options, seg_data_options
from dense_align.registry import MODELS

TRAIN = {'mmseg': Path(mmseg.__file__).parent / '.mim/tools/train.py',
         'mmdet': Path(mmdet.__file__).parent / '.mim/tools/train.py'}
TEST = {name: path.with_name('test.py') for name, path in TRAIN.items()}
RESNET18_W16 = dict(type='ResNet', depth=18, stem_channels=16, base_channels=16)
# backbone config, its map channels; the attention-pool wrapper also returns (B, D) and (B, D, h, w) embeddings,
# which the FPN skips through end_level (exclusive in mmseg, inclusive in mmdet)
BACKBONES = {
    'CLIPResNet': (dict(type='CLIPResNet', arch='tiny'), [64, 128, 256, 512]),
    'CLIPViT': (dict(type='CLIPViT', arch='tiny', pyramid=True), [64, 64, 64, 64]),
    'BackboneWithAttentionPool': (dict(type='BackboneWithAttentionPool', backbone=RESNET18_W16,
                                       in_channels=(16, 32, 64, 128), embed_dim=32, num_heads=2, grid=2),
                                  [16, 32, 64, 128, 32, 32]),
}
DEMO = dict(classes=('background', 'red circle', 'green triangle', 'blue square', 'yellow star', 'striped square',
                     'dotted circle'))

MMSEG_ZOO = """_base_ = ['mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py']
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
metainfo = dict(classes={classes})
model = dict(
    pretrained='{pretrained}',  # the zoo config's model-level pretrained (open-mmlab://resnet50_v1c), here a file
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_delete_=True, **{backbone}),
    neck=dict(in_channels={channels}, out_channels=16{neck_extra}),
    decode_head=dict(in_channels=[16, 16, 16, 16], channels=16, num_classes=7,
                     norm_cfg=dict(type='BN', requires_grad=True)))
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
data = dict(type='BaseSegDataset', metainfo=metainfo, img_suffix='.png', seg_map_suffix='.png',
            reduce_zero_label=False, indices=4, pipeline=pipeline)
train_dataloader = dict(batch_size=2, dataset=dict(data, data_prefix=dict(img_path='images/train',
                                                                          seg_map_path='seg_masks/train')))
val_dataloader = dict(batch_size=2, dataset=dict(data, data_prefix=dict(img_path='images/val',
                                                                        seg_map_path='seg_masks/val')))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.0))
param_scheduler = []
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
"""

MMDET_ZOO = """_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py']
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
classes = {classes}
model = dict(
    backbone=dict(_delete_=True, pretrained='{pretrained}', **{backbone}),
    neck=dict(in_channels={channels}, out_channels=16{neck_extra}),
    bbox_head=dict(num_classes=6, in_channels=16, feat_channels=16, stacked_convs=1{head_extra}))
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', scale=(64, 64), keep_ratio=True),
            dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=2, dataset=dict(
    metainfo=dict(classes=classes), ann_file='annotations/instances_train.json', data_prefix=dict(img='images/train/'),
    indices=4, pipeline=pipeline))
val_dataloader = dict(batch_size=2, dataset=dict(
    metainfo=dict(classes=classes), ann_file='annotations/instances_val.json', data_prefix=dict(img='images/val/'),
    indices=2, pipeline=pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.0))
param_scheduler = []
train_cfg = dict(max_epochs=1)
"""


def write_pretrained(codebase: str, backbone: dict, path: Path) -> dict:
    """A checkpoint of the backbone (random weights), as a user's converted file; returns its parameters."""
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(codebase):
        model = MODELS.build(backbone)
    model.init_weights()
    torch.save({'state_dict': model.state_dict()}, path)
    return {k: v.detach().clone() for k, v in model.named_parameters()}


@pytest.mark.parametrize('codebase', ['mmseg', 'mmdet'])
@pytest.mark.parametrize('name', list(BACKBONES))
def test_zoo_config_trains_with_our_backbone(codebase, name, demo_root, tmp_path, monkeypatch):
    backbone, channels = BACKBONES[name]
    pretrained = tmp_path / f'{name}.pth'
    expected = write_pretrained(codebase, backbone, pretrained)
    wrapper = name == 'BackboneWithAttentionPool'
    if codebase == 'mmseg':
        text = MMSEG_ZOO.format(classes=DEMO['classes'], pretrained=pretrained, backbone=backbone, channels=channels,
                                neck_extra=', end_level=4' if wrapper else '')
        options = seg_data_options(demo_root)
    else:
        text = MMDET_ZOO.format(classes=DEMO['classes'][1:], pretrained=pretrained, backbone=backbone,
                                channels=channels, neck_extra=', end_level=3, num_outs=3' if wrapper else '',
                                head_extra=', anchor_generator=dict(strides=[8, 16, 32])' if wrapper else '')
        options = det_data_options(demo_root)
    config = tmp_path / f'{codebase}_zoo_{name}.py'
    config.write_text(text)
    work = tmp_path / 'work'
    monkeypatch.setattr(sys, 'argv', [str(TRAIN[codebase]), str(config), '--work-dir', str(work), '--cfg-options']
                        + options)
    with pytest.warns(DeprecationWarning, match=f'{name}: pretrained is deprecated'):
        runpy.run_path(str(TRAIN[codebase]), run_name='__main__')

    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'mIoU' in log if codebase == 'mmseg' else 'coco/bbox_mAP' in log
    saved = work / ('iter_2.pth' if codebase == 'mmseg' else 'epoch_1.pth')
    checkpoint = safe_load(saved)
    trained = checkpoint['state_dict']
    for key, value in expected.items():  # lr 0: the backbone is still the pretrained file
        assert torch.equal(trained[f'backbone.{key}'], value), key

    monkeypatch.setattr(sys, 'argv', [str(TEST[codebase]), str(config), str(saved), '--work-dir',
                                      str(tmp_path / 'test'), '--cfg-options'] + options)
    runpy.run_path(str(TEST[codebase]), run_name='__main__')
    test_log = ''.join(p.read_text() for p in (tmp_path / 'test').glob('*/*.log'))
    assert ('mIoU' in test_log if codebase == 'mmseg' else 'coco/bbox_mAP' in test_log), test_log[-2000:]
