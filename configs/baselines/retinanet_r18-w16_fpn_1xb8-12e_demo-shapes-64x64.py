_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py', '../_base_/datasets/demo_shapes_det.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
# RetinaNet with a thin ResNet-18 (width 16) trained from scratch on the embedded demo data, on a CPU in minutes.
# The plain-mmdet reference point for the dense_align detectors; nothing here is downloaded.
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, stem_channels=16, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    bbox_head=dict(
        num_classes=6,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        # objects are 14-26 px: anchors of 16-25 px at stride 8
        anchor_generator=dict(octave_base_scale=2)))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1)
]
train_cfg = dict(max_epochs=12, val_interval=4)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
