# The fine-tuning step of tools/demo_pixpro.py: the plain-mmseg Semantic FPN baseline of the demo data with a
# torchvision-style thin ResNet-18 (width 16; `ResNet`, not the baseline's deep-stem ResNetV1c, so that a PixPro
# export loads into it), trained on the first 64 labelled demo training images for 200 iterations and evaluated (mIoU)
# on the 64 validation images. All arms of the demo (PixPro, BYOL, random init) use this config; only
# `model.backbone.init_cfg` differs. Optimiser and poly schedule as the baseline, shortened; not tuned.
_base_ = '../../baselines/semfpn_r18-w16_fpn_1xb8-1600it_demo-shapes-64x64.py'
max_iters = 200
model = dict(backbone=dict(type='ResNet', deep_stem=False))
train_dataloader = dict(dataset=dict(indices=64))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
