_base_ = ['./_base_/dito_vit-l16_fpn_1024px.py', './_base_/lvis_v1_ov.py']
# OV-LVIS v1, ViT-L/16, 1024 px, Mask R-CNN (class-agnostic masks). Paper: mask AP_r 40.4 (v1) / 40.5 (v2,
# DataComp-1B). Not run.
num_base_classes = 866  # frequent 405 + common 461
model = dict(
    type='DITOMaskRCNN',
    roi_head=dict(
        bbox_head=dict(num_classes=num_base_classes,
                       loss_cls=dict(class_weight=[1.0] * num_base_classes + [0.9])),
        mask_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=14,
                                                                          sampling_ratio=0),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256, num_classes=1,
                       class_agnostic=True, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=28)),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale={{_base_.image_size}}, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size={{_base_.image_size}}, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size={{_base_.image_size}}, pad_val=dict(img=(114, 114, 114))),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=True),
    dict(type='Pad', size={{_base_.image_size}}, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(save_best='lvis/segm_APr', rule='greater'))
