# DITO detector-shaped image-text pre-training of a tiny CLIP ViT (patch 8, width 64, 4 blocks; windows of 4x4
# patches with the shifted pass, global attention in blocks 1 and 3) -> simple pyramid -> FPN -> RoIAlign ->
# Fast R-CNN box head -> text projection, on the captions of the embedded demo data; contrastive loss only.
# A CPU run of a few minutes. Validation: image<->text retrieval over all 5 captions (the pairing comparison).
_base_ = '../_base_/default_runtime.py'
data_root = 'data/demo_shapes/'
context_length = 32
embed_dim = 32
vit = dict(type='CLIPViT', arch='tiny', out_indices=(0, 1, 2, 3), pyramid=True,
           pyramid_norm_cfg=dict(type='GN', num_groups=1), window_size=4, global_attn_indexes=(1, 3),
           shifted_pass=True)
model = dict(
    type='DITOPretrainer',
    backbone=vit,
    neck=dict(type='FPN', in_channels=[64, 64, 64, 64], out_channels=64, num_outs=4),
    bbox_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=7,
                                                                      sampling_ratio=0),
                            out_channels=64, featmap_strides=[4, 8, 16, 32]),
    bbox_head=dict(type='DITOTextBBoxHead', text_dim=embed_dim, in_channels=64, fc_out_channels=128,
                   roi_feat_size=7, num_classes=1, with_reg=False, with_background_embed=False),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=embed_dim),
                      context_length=context_length),
    pairing='image_box_mean',  # the default chosen in configs/dito/README.md (pairing comparison)
    num_random_boxes=4,
    init_temperature=0.07,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='SampleCaption'),
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageCaption'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='CaptionFileDataset', data_root=data_root, ann_file='annotations/captions_train.json',
                 data_prefix=dict(img='images/train'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='CaptionFileDataset', data_root=data_root, ann_file='annotations/captions_val.json',
                 data_prefix=dict(img='images/val'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ImageTextMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5),
]
custom_hooks = [dict(type='ClampLogitScaleHook')]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(by_epoch=False, interval=300, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
