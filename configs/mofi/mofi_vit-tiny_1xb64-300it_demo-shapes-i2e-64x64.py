# MOFI multi-task pre-training of a tiny CLIP ViT (patch 8, width 64, 4 layers) on the demo shapes labelled by
# tools/data/build_i2e.py (entities = the six shape names found in alt-text-like captions, kept by a CLIP filter):
# entity classification (full softmax here: one process, 6 entities) + contrastive image / entity-name head, weights
# 1:1. A CPU run of a few minutes. Validation: GPR1200-style mAP on the held-out images (instance class = largest
# object) and zero-shot accuracy with the entity names.
# Recipes: supervised only  --cfg-options model.loss_weights.con=0
#          contrastive only --cfg-options model.loss_weights.cls=0
_base_ = '../_base_/default_runtime.py'
custom_imports = dict(imports=['align_core.sharded_checkpoint'], allow_failed_imports=False)  # its hook
data_root = 'data/demo_shapes/'
entities = ('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square', 'dotted circle')
context_length = 32
model = dict(
    type='MOFIPretrainer',
    image_encoder=dict(type='CLIPViT', arch='tiny', out_indices=(-1, ), with_embeddings=True),
    text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length=context_length),
    num_entities=len(entities),
    loss_weights=dict(cls=1.0, con=1.0),
    classifier=dict(sample_rate=1.0, normalize=False),
    init_temperature=0.07,
    class_names=entities,
    templates=('{}', ),  # the contrastive head was trained on bare entity names
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadEntityImage'),  # an image file, or a member of a tar shard (shard-sourced I2E labels)
    dict(type='SampleEntityText'),  # the text of one of the image's entities, at random
    dict(type='TokenizeCaption', context_length=context_length),
    dict(type='PackImageEntities'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackImageCaption')]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='EntityImageDataset', data_root=data_root, ann_file='i2e/labels.jsonl',
                 entity_file='i2e/entities.jsonl', data_prefix=dict(img=''), pipeline=train_pipeline))
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
val_evaluator = [dict(type='InstanceRetrievalMetric', domains=None), dict(type='ZeroShotAccuracy', ks=(1, 5))]
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', constructor='NoDecayOnVectorsConstructor',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5),
]
# ShardedClassifierCheckpointHook: checkpoints hold every process's classifier shard (the full entity matrix)
custom_hooks = [dict(type='ClampLogitScaleHook'), dict(type='ShardedClassifierCheckpointHook')]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=300, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
