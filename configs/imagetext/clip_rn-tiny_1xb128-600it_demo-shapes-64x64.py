# Image-text contrastive pre-training of a tiny CLIP (CLIP ResNet width 16 + 2-layer text transformer) on the
# captions of the embedded demo data: a CPU run of a few minutes. Training picks one of each image's 5 captions per
# iteration; validation: image<->text retrieval R@1/5/10 over all 5 captions (CLIP_benchmark protocol) and zero-shot
# top-1/top-5 on the largest object of each held-out image.
_base_ = '../_base_/default_runtime.py'
data_root = 'data/demo_shapes/'
classes = ('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square', 'dotted circle')
context_length = 32
model = dict(
    type='CLIPPretrainer',
    image_encoder=dict(
        type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=64, image_size=64), out_indices=(),
        with_attnpool=True),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64),
                      context_length=context_length),
    init_temperature=0.07,
    class_names=classes,
    templates=('a photo of a {}.', 'a picture of a {}.'),
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='SampleCaption'),  # one of the image's captions, at random
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageCaption'),
]
test_pipeline = [  # every caption, tokenised
    dict(type='LoadImageFromFile'),
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ImageCaptionDataset', data_root=data_root, ann_file='annotations/captions_train.json',
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
# open_clip's rule: no weight decay on any parameter with ndim <= 1; AdamW betas/eps as open_clip's ResNet default
optim_wrapper = dict(type='OptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min=1e-5),
]
custom_hooks = [dict(type='ClampLogitScaleHook')]  # logit_scale into [0, ln 100] after every step
train_cfg = dict(type='IterBasedTrainLoop', max_iters=600, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
