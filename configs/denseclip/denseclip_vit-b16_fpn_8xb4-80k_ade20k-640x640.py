_base_ = [
    '../_base_/models/denseclip_rn50_fpn.py', 'mmseg::_base_/datasets/ade20k_640x640.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/denseclip_adamw-poly_80k.py'
]
# Paper (DenseCLIP README, ADE20K val): ViT-B-DenseCLIP 50.6 mIoU single-scale, 51.3 multi-scale; 1043.1 GFLOPs,
# 105.3 M params. Blocks 3/5/7/11 -> simple feature pyramid (strides 4..32); score map at stride 16; drop path 0.1.
# Weights: OpenAI's ViT-B-16.pt (positional embeddings resized bilinearly to the 40x40 grid on load and to each input,
# as the reference). Pyramid: GroupNorm at the start of every level, SyncBN inside the stride-4 level.
# Data: the reference's scale (2048, 640) for training and testing (mmseg's ade20k_640x640 uses (2560, 640)).
crop_size = (640, 640)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(2048, 640), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 640), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    data_preprocessor=dict(size=(640, 640)),
    backbone=dict(_delete_=True, type='CLIPViT', arch=dict(patch_size=16, width=768, layers=12, heads=12,
                                                           output_dim=512, image_size=640),
                  out_indices=(3, 5, 7, 11), pyramid=True, pyramid_norm_cfg=dict(type='SyncBN'), with_embeddings=True,
                  drop_path_rate=0.1, pos_interpolation='bilinear',
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/ViT-B-16.pt')),
    text_encoder=dict(arch='ViT-B/16', init_cfg=dict(checkpoint='pretrained/ViT-B-16.pt')),
    score_concat_index=2,
    neck=dict(in_channels=[768, 768, 768 + 150, 768]),
    test_cfg=dict(mode='slide', crop_size=(640, 640), stride=(426, 426)))
