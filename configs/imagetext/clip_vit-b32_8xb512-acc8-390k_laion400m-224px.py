# CLIP ViT-B/32 pre-training at paper scale with open_clip's optimisation: AdamW lr 5e-4, betas (0.9, 0.98),
# eps 1e-6 (open_clip's ViT defaults), weight decay 0.2 on parameters with ndim >= 2 only, 10k warm-up steps then
# cosine to 0; 8 GPUs x 512 images x 8 micro-batches of feature-cached accumulation = 32768 images per step (the CLIP
# paper's batch); 390,625 steps = 32 epochs over 400M pairs. Validation: ImageNet zero-shot with open_clip's 80
# OpenAI templates; test: COCO 5k (Karpathy) retrieval over all 5 captions per image.
# Not run here (no GPU cluster); the demo config is the one trained and measured.
_base_ = '../_base_/default_runtime.py'
accum_steps = 8
steps = 390625
warmup_steps = 10000
model = dict(
    type='CLIPPretrainer',
    image_encoder=dict(type='CLIPViT', arch='ViT-B/32', out_indices=(-1, ), with_embeddings=True),
    text_encoder=dict(type='CLIPTextTransformer', arch='ViT-B/32', context_length=77),
    init_temperature=0.07,
    accum_steps=accum_steps,
    class_names='IMAGENET_CLASSNAMES',
    templates='OPENAI_IMAGENET_TEMPLATES',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
# feature-cached accumulation runs in the model's train_step: under DDP it needs this wrapper
model_wrapper_cfg = dict(type='OwnTrainStepDDP')
train_pipeline = [  # the shards are decoded by the dataset: no LoadImageFromFile
    dict(type='Resize', scale=(224, 224), keep_ratio=False, interpolation='bicubic'),
    dict(type='SampleCaption'),
    dict(type='TokenizeCaption', context_length=77),
    dict(type='PackImageCaption'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(100000, 224), keep_ratio=True, interpolation='bicubic'),  # shorter side 224
    dict(type='CenterCrop', crop_size=224),
    dict(type='TokenizeCaption', context_length=77),
    dict(type='PackImageCaption'),
]
classification_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(100000, 224), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    sampler=None,  # the shard dataset splits its shards over ranks and workers itself
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='CaptionShardDataset', shards='shards.txt', data_root='data/laion400m/', repeat=True,
                 shuffle_buffer=10000, batch_size=512, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ZeroShotClassificationDataset', data_root='data/imagenet/', data_prefix=dict(img='val'),
                 pipeline=classification_pipeline))
test_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ImageCaptionDataset', data_root='data/coco/',
                 ann_file='annotations/coco_karpathy_test.json', data_prefix=dict(img=''), pipeline=test_pipeline))
val_evaluator = dict(type='ZeroShotAccuracy', ks=(1, 5))
test_evaluator = dict(type='ImageTextMetric', ks=(1, 5, 10))
optim_wrapper = dict(type='AmpOptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2))
# Iterations count micro-batches; open_clip's step s is iteration s * accum_steps + accum_steps - 1 (the one that
# steps). Warm-up: lr * (s + 1) / warmup_steps at every step; then 0.5 * (1 + cos(pi * (s - warmup) / (steps -
# warmup))) * lr, as open_clip's cosine_lr.
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / (warmup_steps * accum_steps), by_epoch=False, begin=0,
         end=warmup_steps * accum_steps),  # mmengine reaches the full lr at end - 1
    dict(type='CosineAnnealingLR', by_epoch=False, begin=(warmup_steps + 1) * accum_steps - 1,
         end=(steps + 1) * accum_steps - 1, eta_min=0.0),
]
# ClampLogitScaleHook: logit_scale into [0, ln 100] after every step; ShardResumeHook: resume the shard stream by
# sample count (checkpoints fall on whole accumulation cycles: the interval is a multiple of accum_steps)
custom_hooks = [dict(type='ClampLogitScaleHook'), dict(type='ShardResumeHook')]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=steps * accum_steps, val_interval=5000 * accum_steps)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000 * accum_steps, max_keep_ckpts=2),
                     logger=dict(interval=100 * accum_steps))
log_processor = dict(by_epoch=False)
