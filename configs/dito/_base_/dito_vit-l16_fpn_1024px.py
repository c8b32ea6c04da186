# DITO open-vocabulary detector at 1024 px, ViT-L/16, with the recipe of the released gin config
# (google-research fvlm/dito/configs/dito_train_and_eval.gin @ 5e78683). Leaves set the data and the heads.
# Paper setting: 4x4 TPUv3, batch 256, 46,100 steps (~100 epochs), lr 0.18 (the shipped gin: batch 1, lr 0.02,
# 184,400 steps, "to fit a 1080 GPU"). Not run here (no GPU); see configs/dito/README.md.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', 'mmdet::_base_/default_runtime.py']
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
image_size = (1024, 1024)  # OUTPUT_SIZE
embed_dim = 1024  # TEXT_DIM
width = 1024
pretrained = 'checkpoints/dito_vit-l16_pretrained.pth'  # dito_flax_to_mmengine.py output (partial, see README)
vit_arch = dict(patch_size=16, width=width, layers=24, heads=16, output_dim=embed_dim, image_size=224)
vit = dict(type='CLIPViT', arch=vit_arch, out_indices=(5, 11, 17, 23), pyramid=True,
           pyramid_norm_cfg=dict(type='GN', num_groups=1),
           window_size=16, global_attn_indexes=(5, 11, 17, 23),  # ViT-L: global in layers 6, 12, 18, 24
           shifted_pass=True, shift_size=8, act='gelu')  # ATTENTION_SHIFT_SIZE = 8
text_encoder = dict(type='CLIPTextTransformer', arch=dict(width=768, layers=12, heads=12, output_dim=embed_dim),
                    context_length=77)
num_base_classes = 48
model = dict(
    type='DITOFasterRCNN',
    data_preprocessor=dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True,
                           pad_size_divisor=32),
    backbone=dict(_delete_=True, **vit),
    neck=dict(in_channels=[width] * 4, out_channels=256, num_outs=5),  # MIN_LEVEL 2 .. MAX_LEVEL 5 (+ P6 for RPN)
    rpn_head=dict(anchor_generator=dict(scales=[8], ratios=[1.0])),  # ANCHOR_SIZE 8, aspect_ratios [1.0]
    roi_head=dict(
        type='DITORoIHead', base_vlm_weight=0.35, novel_vlm_weight=0.65, objectness_weight=3.0,
        bbox_head=dict(_delete_=True, type='DITOTextBBoxHead', text_dim=embed_dim, temperature=0.01,  # TEMP
                       in_channels=256, fc_out_channels=1024, roi_feat_size=7, num_classes=num_base_classes,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                     class_weight=[1.0] * num_base_classes + [0.9]),  # frcnn_background_weight
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    text_encoder=text_encoder,
    templates=('a photo of a {}.', ),
    # frozen ViT of the fusion: windows in every block but the last, no shifted pass; RoIAlign 14x14, boxes x0.7,
    # clip_sim_temp 0.01; loaded from the same pre-trained checkpoint (frozen_clip_target_filters)
    vlm=dict(backbone=dict(type='CLIPViT', arch=vit_arch, out_indices=(23, ), window_size=16,
                           global_attn_indexes=(23, ), act='gelu',
                           init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
             roi_size=14, box_scale=0.7, temperature=0.01),
    test_cfg=dict(rcnn=dict(score_thr=0.0, max_per_img=300)))  # MAX_NUM_INSTANCES, score_threshold 0
# pre-trained ViT, pyramid and Fast R-CNN head (clip_pretrained_filters: feature_pyramid_fn, fastrcnn_head_fn, .+)
model['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')
model['neck']['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained, prefix='neck.')
model['roi_head']['bbox_head']['init_cfg'] = [dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                                              dict(type='Pretrained', checkpoint=pretrained, prefix='bbox_head.')]
model['text_encoder']['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained, prefix='text_encoder.')
# large-scale jitter 0.1-2.0 at 1024 px (AUG_SCALE_MIN / AUG_SCALE_MAX)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=image_size, pad_val=dict(img=(114, 114, 114))),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='Pad', size=image_size, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
custom_hooks = [dict(type='dense_align.OpenVocabularyHook')]
# Momentum 0.9, lr 0.18 at batch 256 (8 GPUs x 32), wd 1e-4 (not on norms, biases, positional embeddings),
# backbone gradient scale 0.6 (as an lr multiplier), 1000-step linear warm-up from 0.0032, x0.1 at 80/90/95 %
max_iters = 46100
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.18, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'backbone': dict(lr_mult=0.6), 'positional_embedding': dict(decay_mult=0.0),
                                    'class_embedding': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.0032 / 0.18, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8), int(max_iters * 0.9), int(max_iters * 0.95)], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=256)
find_unused_parameters = True
