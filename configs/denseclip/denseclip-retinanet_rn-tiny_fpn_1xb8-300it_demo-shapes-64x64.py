_base_ = ['../baselines/retinanet_r18-w16_fpn_1xb8-12e_demo-shapes-64x64.py']
# DenseCLIP RetinaNet with the tiny CLIP of configs/imagetext on the embedded demo data: 64 labelled images,
# 300 iterations on a CPU. The demo (tools/demo.py) runs it from the CLIP pre-trained on the demo captions and from
# random initialisation. Recipe shaped like the paper's: AdamW, backbone lr x0.1, text encoder frozen.
model = dict(
    type='DenseCLIPRetinaNet',
    class_names={{_base_.metainfo.classes}},  # the dataset's metainfo['classes']
    data_preprocessor=dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True),
    backbone=dict(_delete_=True, type='CLIPResNet',
                  arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=64, image_size=64), with_attnpool=True),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64),
                      context_length=32),
    context_decoder=dict(width=32, heads=4, layers=2, dropout=0.1),
    num_context=8,
    tau=0.07,
    seg_loss_weight=1.0,
    neck=dict(in_channels=[64, 128, 256, 512 + 6], out_channels=64))
train_dataloader = dict(dataset=dict(indices=64))  # the labelled subset
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'norm': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=300, milestones=[220, 280], gamma=0.1),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=300, val_interval=100)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(by_epoch=False, interval=300, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
find_unused_parameters = True
