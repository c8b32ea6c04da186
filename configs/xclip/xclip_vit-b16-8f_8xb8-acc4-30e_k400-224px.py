# X-CLIP ViT-B/16, 8 frames, fully supervised on Kinetics-400: the paper's recipe (VideoX X-CLIP configs/k400).
# Paper top-1 / top-5 (4 clips x 3 crops): 83.8 / 95.7. Not trained here (needs GPUs and Kinetics-400).
# - CLIP weights: OpenAI's ViT-B-16.pt (TorchScript archive, read without running code) for both towers.
# - batch 256 = 8 GPUs x 8 clips x 4 accumulation steps, AMP; AdamW lr 8e-6 (x10 for message_/mit/prompts),
#   betas (0.9, 0.98), wd 0.001 (none on 1-D params, biases, embeddings); 30 epochs of timm's per-iteration
#   CosineLRScheduler as the reference (one cosine over all 30 epochs from step 0 to 8e-8 for every group, the first
#   5 epochs replaced by a linear warm-up from 0).
# - Text tower and logit scale frozen; class prompt = the raw class name.
# - Mixup 0.8 / CutMix 1.0 (switch 0.5), label smoothing 0.1; TSN sampling with integer segments, multi-scale crop
#   at 5 fixed positions, flip, colour jitter 0.8 (each frame its own factors), grayscale 0.2.
# Data: data/kinetics400/{videos_train,videos_val}/..., annotations train.txt / val.txt ("path label"), and
# kinetics_400_labels.csv ("id,name", X-CLIP's labels file).
_base_ = '../_base_/default_runtime.py'
data_root = 'data/kinetics400/'
clip_checkpoint = 'checkpoints/ViT-B-16.pt'
num_frames = 8
num_classes = 400
model = dict(
    type='XCLIPRecognizer',
    visual=dict(type='CrossFrameViT', arch='ViT-B/16', drop_path_rate=0.0, with_cp=False,
                init_cfg=dict(type='Pretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(type='CLIPTextTransformer', arch='ViT-B/16', context_length=77,
                      init_cfg=dict(type='Pretrained', checkpoint=clip_checkpoint)),
    class_names=data_root + 'kinetics_400_labels.csv',
    num_frames=num_frames,
    template='{}',
    mit_layers=1,
    prompt_layers=2,
    prompt_alpha=0.1,
    freeze_text=True,
    data_preprocessor=dict(type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375],
                           blending=dict(num_classes=num_classes, mixup_alpha=0.8, cutmix_alpha=1.0,
                                         switch_prob=0.5, label_smoothing=0.1)))
train_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames),
    dict(type='VideoResize', short_side=256),
    dict(type='VideoMultiScaleCrop', size=224, scales=(1, 0.875, 0.75, 0.66)),
    dict(type='VideoFlip', prob=0.5),
    dict(type='VideoColorJitter', prob=0.8, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, gray_prob=0.2),
    dict(type='PackVideoInputs'),
]
val_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoResize', short_side=256),
    dict(type='VideoCenterCrop', size=224),
    dict(type='PackVideoInputs'),
]
test_pipeline = [  # 4 clips x 3 crops, softmax averaged over the 12 views
    dict(type='SampleVideoFrames', num_frames=num_frames, num_clips=4, test_mode=True),
    dict(type='VideoResize', short_side=224),
    dict(type='VideoCenterCrop', size=224, three_crop=True),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=8, persistent_workers=True, pin_memory=True, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='VideoDataset', data_root=data_root, ann_file='train.txt',
                 class_file='kinetics_400_labels.csv', data_prefix=dict(video='videos_train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=8, persistent_workers=True, pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='VideoDataset', data_root=data_root, ann_file='val.txt',
                 class_file='kinetics_400_labels.csv', data_prefix=dict(video='videos_val'),
                 pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=2, num_workers=8, persistent_workers=True, pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='VideoDataset', data_root=data_root, ann_file='val.txt',
                 class_file='kinetics_400_labels.csv', data_prefix=dict(video='videos_val'),
                 pipeline=test_pipeline))
val_evaluator = dict(type='VideoAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='AmpOptimWrapper', accumulative_counts=4,
    optimizer=dict(type='AdamW', lr=8e-6, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.001),
    constructor='XCLIPOptimWrapperConstructor',
    paramwise_cfg=dict(new_module_keys=('message_', 'mit.', 'prompts'), new_lr_mult=10.0))
max_epochs = 30
param_scheduler = [  # timm CosineLRScheduler(t_initial=30 ep, lr_min=8e-8, warmup_t=5 ep, warmup_lr_init=0)
    dict(type='TimmCosineLR', by_epoch=True, convert_to_iter_based=True, t_initial=max_epochs, warmup_t=5,
         lr_min=8e-6 / 100, warmup_lr_init=0.0, step_lag=4),  # step_lag = accumulation steps (see TimmCosineLR)
]
auto_scale_lr = dict(base_batch_size=256, enable=False)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='ClassNamesCheckHook')]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='video/top1', rule='greater'))
randomness = dict(seed=1024)
