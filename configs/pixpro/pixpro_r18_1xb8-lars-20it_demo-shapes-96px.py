# PixPro on the embedded demo images (python tools/data/generate_demo_shapes.py): ResNet-18 at 96 px, batch 8, 20
# iterations, a CPU run of about a minute that checks the whole pipeline; then export the encoder with
# tools/model_converters/pixpro_export.py. Settings follow the paper's recipe at this scale (lr 1.0 x batch / 256,
# scaled by `auto_scale_lr` from the base config to the real batch: 8 / 256 on one process).
_base_ = './pixpro_r50_8xb128-lars-100e_in1k.py'
data_root = 'data/demo_shapes/'
model = dict(backbone=dict(depth=18), in_channels=512, hidden_channels=512, out_channels=128,
             loss_weights=dict(pixcontrast=0.5, instance=0.5))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='PixProTwoViews', size=96, scale=(0.2, 1.0))]
train_dataloader = dict(batch_size=8, num_workers=2, pin_memory=False, sampler=dict(type='InfiniteSampler'),
                        dataset=dict(data_root=data_root, data_prefix=dict(img='images/train'),
                                     pipeline=train_pipeline))
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='LARS', lr=1.0, momentum=0.9, weight_decay=1e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=5),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=5, end=20, eta_min=1e-6),
]
train_cfg = dict(type='IterBasedTrainLoop', _delete_=True, max_iters=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(by_epoch=False, interval=20, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=5)
sync_bn = None  # torch's SyncBatchNorm needs GPUs; multi-process CPU runs keep per-process BN
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
