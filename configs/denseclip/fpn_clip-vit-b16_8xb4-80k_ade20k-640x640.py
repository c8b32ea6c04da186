_base_ = ['./denseclip_vit-b16_fpn_8xb4-80k_ade20k-640x640.py']
# Baseline of the paper's table: Semantic FPN on a CLIP-initialised ViT-B/16 with the same feature pyramid, no
# language guidance (mmseg EncoderDecoder). Paper (DenseCLIP README, ADE20K val): ViT-B-CLIP 49.4 mIoU single-scale,
# 50.3 multi-scale; 1037.4 GFLOPs, 100.8 M params.
model = dict(
    _delete_=True,
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(640, 640)),
    backbone=dict(type='CLIPViT', arch=dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512,
                                            image_size=640),
                  out_indices=(3, 5, 7, 11), pyramid=True, pyramid_norm_cfg=dict(type='SyncBN'), drop_path_rate=0.1,
                  pos_interpolation='bilinear',
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/ViT-B-16.pt')),
    neck=dict(type='FPN', in_channels=[768, 768, 768, 768], out_channels=256, num_outs=4),
    decode_head=dict(type='FPNHead', in_channels=[256, 256, 256, 256], in_index=[0, 1, 2, 3],
                     feature_strides=[4, 8, 16, 32], channels=256, dropout_ratio=0.1, num_classes=150,
                     norm_cfg=dict(type='SyncBN', requires_grad=True), align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(640, 640), stride=(426, 426)))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'norm': dict(decay_mult=0.0)}))
