_base_ = [
    'mmseg::_base_/models/fpn_r50.py', '../_base_/datasets/demo_shapes_seg.py', 'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
# Semantic FPN with a thin ResNet-18 (width 16) trained from scratch on the embedded demo data, on a CPU in minutes.
# The plain-mmseg reference point for the dense_align methods; nothing here is downloaded.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    decode_head=dict(in_channels=[32, 32, 32, 32], channels=32, num_classes=7, norm_cfg=norm_cfg))
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=1600, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1600, val_interval=400)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=400, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
