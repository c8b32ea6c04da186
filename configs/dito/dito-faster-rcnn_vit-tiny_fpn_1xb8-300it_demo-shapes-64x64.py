_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/demo_shapes_det.py',
    'mmdet::_base_/default_runtime.py'
]
# DITO open-vocabulary Faster R-CNN with the tiny ViT of the pre-training config, on the embedded demo data:
# trained on the boxes of 4 base classes ('yellow star' and 'dotted circle' held out as novel, their boxes removed
# from the training file by tools/demo_dito.py), evaluated on all 6 with OV-COCO style novel/base AP50.
# Test-time fusion with the frozen ViT (the image-level or DITO pre-trained one, see the demo).
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
embed_dim = 32
novel_classes = ('yellow star', 'dotted circle')
metainfo = dict(
    classes=('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square', 'dotted circle'),
    base_classes=('red circle', 'green triangle', 'blue square', 'striped square'),
    novel_classes=novel_classes,
    palette=[(220, 40, 40), (40, 180, 60), (40, 80, 220), (240, 210, 40), (160, 160, 160), (200, 120, 200)])
vit = dict(type='CLIPViT', arch='tiny', out_indices=(0, 1, 2, 3), pyramid=True,
           pyramid_norm_cfg=dict(type='GN', num_groups=1), window_size=4, global_attn_indexes=(1, 3),
           shifted_pass=True)
pretrained = None  # a DITOPretrainer checkpoint: backbone / neck / bbox_head / text_encoder load by prefix
model = dict(
    type='DITOFasterRCNN',
    data_preprocessor=dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True,
                           pad_size_divisor=32),
    backbone=dict(_delete_=True, **vit),
    neck=dict(in_channels=[64, 64, 64, 64], out_channels=64, num_outs=4),  # no 1x1 level at 64 px
    rpn_head=dict(in_channels=64, feat_channels=64,  # one square anchor per location (released)
                  anchor_generator=dict(scales=[4], ratios=[1.0], strides=[4, 8, 16, 32])),
    roi_head=dict(
        type='DITORoIHead', base_vlm_weight=0.35, novel_vlm_weight=0.65, objectness_weight=0.0,
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(_delete_=True, type='DITOTextBBoxHead', text_dim=embed_dim, temperature=0.01,
                       in_channels=64, fc_out_channels=128, roi_feat_size=7, num_classes=4,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=embed_dim),
                      context_length=32),
    templates=('a photo of a {}.', ),
    vlm=dict(backbone=dict(vit, pyramid=False, out_indices=(3, ), global_attn_indexes=(3, )), roi_size=14,
             box_scale=0.7, temperature=0.01),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=300), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=50, score_thr=0.0)))
# boxes only (the base pipelines also decode the masks, which Faster R-CNN never reads)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(
    metainfo=metainfo, ann_file='annotations/instances_train_base.json',  # written by tools/demo_dito.py
    pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='OpenVocabCocoMetric',
                     ann_file='data/demo_shapes/annotations/instances_val.json', metric='bbox')
test_evaluator = val_evaluator
custom_hooks = [dict(type='dense_align.OpenVocabularyHook')]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.6)}))  # released: backbone gradient scale 0.6
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=300, milestones=[240, 270], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(by_epoch=False, interval=300, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
find_unused_parameters = True
