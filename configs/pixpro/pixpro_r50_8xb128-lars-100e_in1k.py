# PixPro pre-training of a ResNet-50 on ImageNet-1k (train images, no labels), the paper's 100-epoch recipe:
# 8 GPUs x 128 = batch 1024, LARS lr 1.0 x total batch / 256 = 4.0 (`auto_scale_lr` scales the base lr 1.0 by the
# real batch, GPUs x batch_size, as the reference's main_pretrain.py does), weight decay 1e-5 (none on biases/norms),
# 5 warm-up epochs from lr/100 then cosine to 1e-6, gamma 2, T 0.7, momentum 0.99 -> 1, BYOL augmentations at 224 px,
# SyncBN, zero-initialised last BN of each block. Paper transfer numbers from this recipe (ResNet-50, 100 epochs):
#   COCO Mask R-CNN R50-FPN 1x: 40.8 box AP / 36.8 mask AP   (transfer/mask-rcnn_r50-pixpro_fpn_syncbn-1x_coco.py)
#   VOC07+12 Faster R-CNN R50-C4 24k: 58.8 AP (COCO-style)  (transfer/faster-rcnn_r50-pixpro-c4_syncbn-24k_voc0712.py)
# Export the encoder afterwards: python tools/model_converters/pixpro_export.py <ckpt> pixpro_r50.pth
_base_ = '../_base_/default_runtime.py'
data_root = 'data/imagenet/'
max_epochs = 100
warmup_epochs = 5
model = dict(
    type='PixPro',
    backbone=dict(type='mmdet.ResNet', depth=50, out_indices=(3,), norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, zero_init_residual=True, style='pytorch'),
    in_channels=2048, hidden_channels=4096, out_channels=256,
    propagation=dict(transform_layers=1, gamma=2.0),
    pos_ratio=0.7,
    base_momentum=0.99,
    loss_weights=dict(propagation=1.0, pixcontrast=0.0, instance=0.0),
    data_preprocessor=dict(type='MultiViewDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]))
sync_bn = 'torch'  # every BatchNorm (encoder and projectors) becomes SyncBN under a distributed launcher
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='PixProTwoViews', size=224, scale=(0.08, 1.0))]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='UnlabeledImageFolder', data_root=data_root, data_prefix=dict(img='train'),
                 pipeline=train_pipeline))
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic',
                     optimizer=dict(type='LARS', lr=1.0, momentum=0.9, weight_decay=1e-5, eta=0.001,
                                    exclude_1d=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=warmup_epochs, end=max_epochs, eta_min=1e-6,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=256, enable=True)  # lr = 1.0 x (GPUs x batch_size) / 256
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
env_cfg = dict(cudnn_benchmark=True)
