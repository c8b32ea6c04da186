_base_ = ['./denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py']
# Baseline of the paper's table: the same Semantic FPN on a CLIP-initialised RN50 without language guidance
# (mmseg EncoderDecoder). Paper (DenseCLIP README, ADE20K val): RN50-CLIP 39.6 mIoU single-scale, 41.6 multi-scale;
# 248.8 GFLOPs, 31.0 M params.
model = dict(
    _delete_=True,
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512)),
    backbone=dict(type='CLIPResNet', arch='RN50', norm_cfg=dict(type='SyncBN', requires_grad=True),
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
    decode_head=dict(type='FPNHead', in_channels=[256, 256, 256, 256], in_index=[0, 1, 2, 3],
                     feature_strides=[4, 8, 16, 32], channels=256, dropout_ratio=0.1, num_classes=150,
                     norm_cfg=dict(type='SyncBN', requires_grad=True), align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'norm': dict(decay_mult=0.0)}))
