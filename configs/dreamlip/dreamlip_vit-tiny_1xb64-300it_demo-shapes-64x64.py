# DreamLIP on the demo data: a tiny CLIP (ViT patch 8, width 64, 2 layers, 64x64 input -> 8x8 patch tokens; 2-layer
# text transformer) trained on the short caption + 6 sub-captions of each image's long caption, with the
# multi-positive circle loss and the sub-caption grouping loss as released. A CPU run of a few minutes.
# The plain-CLIP baseline on the same pairs and steps: clip_vit-tiny_1xb64-300it_demo-shapes-64x64.py.
_base_ = '../_base_/default_runtime.py'
data_root = 'data/demo_shapes/'
classes = ('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square', 'dotted circle')
context_length = 32
model = dict(
    type='DreamLIPPretrainer',
    image_encoder=dict(type='CLIPViT', arch=dict(patch_size=8, width=64, layers=2, heads=4, output_dim=64,
                                                 image_size=64),
                       out_indices=(-1, ), with_embeddings=True),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64),
                      context_length=context_length),
    init_temperature=0.07,
    use_multipos_loss=True, margin=0.25, gamma=32, mpl_divisor=10.0,
    use_grouping_loss=True, sgl_norm='minmax', sgl_delta=0.0, sgl_weight=1.0, itc_divide_by_texts=True,
    mpl_skip_same_text=False, sgl_skip_same_text=False,  # as released: identical caption texts are negatives too
    class_names=classes,
    templates=('a photo of a {}.', ),
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='SampleCaption'),
    dict(type='SampleSubCaptions', num_text=6, merged_num=1, long_keys=('long_caption', )),
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageSubCaptions'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='LongCaptionDataset', data_root=data_root, ann_file='annotations/captions_train.json',
                 long_caption_file='annotations/long_captions_train.json',
                 label_file='annotations/instances_train.json', data_prefix=dict(img='images/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ImageCaptionDataset', data_root=data_root, ann_file='annotations/captions_val.json',
                 label_file='annotations/instances_val.json', data_prefix=dict(img='images/val'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='ImageTextMetric'), dict(type='ZeroShotAccuracy', ks=(1, 5))]
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5),
]
custom_hooks = [dict(type='ClampLogitScaleHook')]  # both logit scales (global and local) into [0, ln 100]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=300, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
