_base_ = ['./denseclip-retinanet_rn50_fpn_8xb2-1x_coco.py']
# Baseline: plain mmdet RetinaNet on a CLIP-initialised RN50 (no language guidance). Paper: 36.9 box AP.
model = dict(
    _delete_=True,
    type='RetinaNet',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='CLIPResNet', arch='RN50', norm_cfg=dict(type='SyncBN', requires_grad=True),
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, start_level=1,
              add_extra_convs='on_input', num_outs=5),
    bbox_head={{_base_.model.bbox_head}},
    train_cfg={{_base_.model.train_cfg}},
    test_cfg={{_base_.model.test_cfg}})
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1), 'norm': dict(decay_mult=0.0)}))
