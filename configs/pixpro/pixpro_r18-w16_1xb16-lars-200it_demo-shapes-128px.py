# The pre-training step of tools/demo_pixpro.py (`make demo-pixpro`): PixPro (pixel propagation only, the paper's
# default loss) on the 256 unlabelled demo training images, for the thin ResNet-18 (width 16) that the segmentation
# step fine-tunes. Views of 128 px from the 64 px images, so that C5 is a 4x4 map; batch 16, LARS lr 1.0 x 16 / 256
# (auto_scale_lr), 20 warm-up iterations then cosine, 200 iterations (12.5 epochs; sized to the CPU budget). The BYOL arm of the demo is this config with
# model.loss_weights = dict(propagation=0, instance=1). Settings chosen before measuring, not tuned.
_base_ = './pixpro_r18_1xb8-lars-20it_demo-shapes-96px.py'
max_iters = 200
warmup_iters = 20
model = dict(backbone=dict(depth=18, stem_channels=16, base_channels=16), in_channels=128, hidden_channels=256,
             out_channels=64, loss_weights=dict(propagation=1.0, pixcontrast=0.0, instance=0.0))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='PixProTwoViews', size=128, scale=(0.2, 1.0))]
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters, eta_min=1e-6),
]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_iters))
log_processor = dict(window_size=50)
