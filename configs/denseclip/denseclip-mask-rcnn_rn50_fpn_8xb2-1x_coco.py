_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']
# DenseCLIP Mask R-CNN, CLIP RN50, COCO 1x. Paper (DenseCLIP README, COCO val): RN50-DenseCLIP 40.2 box / 37.6 mask
# AP (327 GFLOPs, 67 M params); RN50-CLIP baseline 39.3 / 36.8. Weights: OpenAI's RN50.pt. Positional grid and SyncBN
# as in denseclip-retinanet_rn50_fpn_8xb2-1x_coco.py.
model = dict(
    type='DenseCLIPMaskRCNN',
    class_names='CocoDataset',
    data_preprocessor=dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True),
    backbone=dict(_delete_=True, type='CLIPResNet',
                  arch=dict(layers=(3, 4, 6, 3), width=64, output_dim=1024, image_size=1344), with_attnpool=True,
                  norm_cfg=dict(type='SyncBN', requires_grad=True), pos_interpolation='bilinear', pos_crop=True,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    text_encoder=dict(type='CLIPTextTransformer', arch='RN50', context_length=77,
                      init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    context_decoder=dict(width=256, heads=4, layers=3, dropout=0.1),
    num_context=8,
    tau=0.07,
    seg_loss_weight=1.0,
    neck=dict(in_channels=[256, 512, 1024, 2048 + 80]))
# AdamW 2e-4, backbone x0.1, text encoder frozen, gradient clipping 0.1; 12 epochs, steps at 8 and 11, warm-up 500.
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'text_encoder': dict(lr_mult=0.0),
                                    'norm': dict(decay_mult=0.0)}))
find_unused_parameters = True
