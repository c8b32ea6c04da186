_base_ = [
    '../_base_/datasets/demo_shapes_seg.py', 'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
# DenseCLIP (Semantic FPN, post-model prompting) with the tiny CLIP of configs/imagetext on the embedded demo data:
# 64 labelled training images, 500 iterations on a CPU. The demo (tools/demo.py) runs it twice: initialised from the
# CLIP pre-trained on the demo captions (init_cfg Pretrained with prefix 'image_encoder.' / 'text_encoder.') and
# from random initialisation.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='DenseCLIPSegmentor',
    class_names={{_base_.metainfo.classes}},  # the dataset's metainfo['classes']
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(64, 64)),
    backbone=dict(type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=64, image_size=64),
                  with_attnpool=True),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64),
                      context_length=32),
    prompting='post',
    context_decoder=dict(width=32, heads=4, layers=2, dropout=0.1),
    num_context=8,
    score_concat_index=3,
    tau=0.07,
    score_loss_weight=0.4,
    neck=dict(type='FPN', in_channels=[64, 128, 256, 512 + 7], out_channels=32, num_outs=4),
    decode_head=dict(type='FPNHead', in_channels=[32, 32, 32, 32], in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
                     channels=32, dropout_ratio=0.1, num_classes=7, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(dataset=dict(indices=64))  # the labelled subset
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    # the paper's recipe: backbone at 0.1x, text encoder frozen (lr 0; the prompts still learn)
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'text_encoder': dict(lr_mult=0.0),
                                    'norm': dict(decay_mult=0.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0, end=500, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=500, val_interval=100)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
find_unused_parameters = True
