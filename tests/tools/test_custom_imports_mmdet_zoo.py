"""An mmdet model-zoo config with custom_imports=['dense_align'] trains with our CLIP ResNet swapped in, launched by
mmdet's own tools/train.py (which never imports our packages): custom_imports alone registers the backbone."""
from pathlib import Path

import mmdet

from conftest import det_data_options, run_tool

MMDET_TRAIN = Path(mmdet.__file__).parent / '.mim/tools/train.py'

ZOO_CONFIG = """_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py']
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
classes = ('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square', 'dotted circle')
model = dict(
    backbone=dict(_delete_=True, type='CLIPResNet', arch='tiny', out_indices=(0, 1, 2, 3)),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=32),
    bbox_head=dict(num_classes=6, in_channels=32, feat_channels=32, stacked_convs=1))
pipeline_train = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True), dict(type='PackDetInputs')]
pipeline_test = [
    dict(type='LoadImageFromFile'), dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=4, dataset=dict(
    metainfo=dict(classes=classes), ann_file='annotations/instances_train.json',
    data_prefix=dict(img='images/train/'), pipeline=pipeline_train))
val_dataloader = dict(batch_size=4, dataset=dict(
    metainfo=dict(classes=classes), ann_file='annotations/instances_val.json',
    data_prefix=dict(img='images/val/'), pipeline=pipeline_test))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
"""


def test_mmdet_zoo_retinanet_with_clip_resnet(demo_root, tmp_path):
    config = tmp_path / 'retinanet_clip-rn-tiny_zoo.py'
    config.write_text(ZOO_CONFIG)
    assert MMDET_TRAIN.is_file()
    result = run_tool([MMDET_TRAIN, config, '--work-dir', tmp_path / 'work', '--cfg-options'] +
                      det_data_options(demo_root))
    assert result.returncode == 0, result.stderr[-3000:]
    log = ''.join(p.read_text() for p in (tmp_path / 'work').glob('*/*.log'))
    assert "type='CLIPResNet'" in log and 'coco/bbox_mAP' in log
    assert (tmp_path / 'work/epoch_1.pth').is_file()
