# X-CLIP on the embedded demo videos (python tools/data/generate_demo_videos.py): a tiny cross-frame ViT (width 64,
# 2 blocks, patch 8 on 32 px) and text transformer from random weights, 4 frames, batch 8, 1000 iterations. Top-1
# on the 120 held-out videos of 6 classes (chance 16.7) over 3 seeds: configs/xclip/README.md
# (python tools/analysis/xclip_demo_seeds.py).
# The paper's recipe at this scale: frozen text tower, 10x learning rate for the new modules, Mixup/CutMix with
# label smoothing, per-frame colour jitter and grayscale, timm's warm-up + cosine. Horizontal flips are off: they
# would turn "circle moving left" into "circle moving right". Zero-shot on unseen class names (model and test set):
#   python tools/test.py <this config> <checkpoint> --cfg-options \
#       model.class_names=data/demo_videos/classes_unseen.csv test_dataloader.dataset.class_file=classes_unseen.csv
_base_ = '../_base_/default_runtime.py'
data_root = 'data/demo_videos/'
num_frames = 4
num_classes = 6
model = dict(
    type='XCLIPRecognizer',
    visual=dict(type='CrossFrameViT',
                arch=dict(patch_size=8, width=64, layers=2, heads=2, output_dim=64, image_size=32)),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=2, output_dim=64),
                      context_length=16),
    class_names=data_root + 'classes.csv',
    num_frames=num_frames,
    template='{}',
    prompt_layers=2,
    prompt_alpha=0.1,
    freeze_text=True,
    data_preprocessor=dict(type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375],
                           blending=dict(num_classes=num_classes, mixup_alpha=0.8, cutmix_alpha=1.0,
                                         switch_prob=0.5, label_smoothing=0.1)))
train_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames),
    dict(type='VideoMultiScaleCrop', size=32, scales=(1, 0.875, 0.75, 0.66)),
    dict(type='VideoFlip', prob=0.0),
    dict(type='VideoColorJitter', prob=0.8, gray_prob=0.2),
    dict(type='PackVideoInputs'),
]
val_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoCenterCrop', size=32),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames, num_clips=2, test_mode=True),
    dict(type='VideoCenterCrop', size=32),
    dict(type='PackVideoInputs'),
]
dataset = dict(type='VideoDataset', data_root=data_root, class_file='classes.csv', data_prefix=dict(video='videos'))
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True, drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset, ann_file='annotations/train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset, ann_file='annotations/val.txt', pipeline=val_pipeline))
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], pipeline=test_pipeline))
val_evaluator = dict(type='VideoAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.001),
    constructor='XCLIPOptimWrapperConstructor',
    paramwise_cfg=dict(new_module_keys=('message_', 'mit.', 'prompts'), new_lr_mult=10.0),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [  # the reference's timm schedule at this length: warm-up 30 iterations, cosine to lr / 100
    dict(type='TimmCosineLR', by_epoch=False, t_initial=1000, warmup_t=30, lr_min=2e-6, warmup_lr_init=0.0,
         step_lag=1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000, val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='ClassNamesCheckHook')]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=250, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
