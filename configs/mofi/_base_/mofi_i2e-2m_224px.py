# MOFI at paper scale (Wu et al., ICLR 2024): multi-task pre-training on I2E (paper: ~1B images, ~2M entities) with
# an entity classifier sharded over the processes plus a contrastive head on entity names + descriptions;
# evaluated on GPR1200 (mAP over the full ranking, six domains) and by zero-shot accuracy.
# Stated by the paper / its release: the three recipes, entity names enriched with descriptions as text, ~2M
# entities, 224 px input resized then centre-cropped with CLIP's mean/std (ml-mofi eval/utils.py), AdamW (named in
# the paper), the ViT-B/16 and ViT-L/14 image towers and text-tower sizes of the released checkpoints.
# NOT stated in anything we could read (values below are ours, marked 'not stated'): batch size, steps, learning
# rate, warm-up, weight decay, loss weights, classifier form (linear / cosine, scale), class sampling, CLIP filter
# thresholds, minimum images per entity, the text format of name + description. The released text towers use an
# OPT-based tokenizer; these configs use the CLIP BPE tokenizer of our text tower.
# Not run here (no GPU cluster); the demo config is the one trained and measured.
_base_ = '../../_base_/default_runtime.py'
num_entities = 2_000_000  # paper: "2 million distinct entities"
steps = 500_000  # not stated
warmup_steps = 10_000  # not stated
model = dict(
    type='MOFIPretrainer',
    image_encoder=dict(type='CLIPViT', arch='ViT-B/16', out_indices=(-1, ), with_embeddings=True),
    text_encoder=dict(type='CLIPTextTransformer', arch='ViT-B/16', context_length=77),
    num_entities=num_entities,
    loss_weights=dict(cls=1.0, con=1.0),  # not stated; the paper's sketch sums the two losses
    classifier=dict(sample_rate=1.0, normalize=False),  # not stated; sample_rate=0.1 gives PartialFC sampling
    init_temperature=0.07,
    class_names=None,  # zero-shot on ImageNet: set class_names='IMAGENET_CLASSNAMES'
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadEntityImage'),  # an image file, or a member of a tar shard (shard-sourced I2E labels)
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.9, 1.0), interpolation='bicubic'),  # not stated
    dict(type='SampleEntityText'),
    dict(type='TokenizeCaption', context_length=77),
    dict(type='PackImageEntities'),
]
test_pipeline = [  # ml-mofi eval/utils.py: Resize(224) of the shorter side, CenterCrop(224)
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(100000, 224), keep_ratio=True, interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(
    batch_size=256,  # per GPU; not stated
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='EntityImageDataset', data_root='data/i2e/', ann_file='labels.jsonl',
                 entity_file='entities.jsonl', data_prefix=dict(img='images'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='GPR1200Dataset', data_prefix=dict(img='data/gpr1200/images'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='InstanceRetrievalMetric', domains='gpr1200', include_self=True)  # GPR1200 evaluate.py
test_evaluator = val_evaluator
optim_wrapper = dict(type='AmpOptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2))  # lr, wd: not stated
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / warmup_steps, by_epoch=False, begin=0, end=warmup_steps),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_steps, end=steps, eta_min=0.0),
]
# ShardedClassifierCheckpointHook: checkpoints hold every process's classifier shard (the full entity matrix)
custom_hooks = [dict(type='ClampLogitScaleHook'), dict(type='ShardedClassifierCheckpointHook')]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=steps, val_interval=10_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10_000, max_keep_ckpts=2), logger=dict(interval=100))
log_processor = dict(by_epoch=False)
