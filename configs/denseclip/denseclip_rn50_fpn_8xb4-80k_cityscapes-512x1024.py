_base_ = [
    '../_base_/models/denseclip_rn50_fpn.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/denseclip_adamw-poly_80k.py'
]
# DenseCLIP RN50 on Cityscapes (19 classes, 512x1024 crops). The paper reports no Cityscapes number; the public code's
# ADE20K-tuned settings gave poor results there (raoyongming/DenseCLIP issue #22), so treat this as a starting point.
# Evaluation: mmseg IoUMetric; for the official protocol add CityscapesMetric (cityscapesscripts).
model = dict(
    class_names='CityscapesDataset',
    data_preprocessor=dict(size=(512, 1024)),
    neck=dict(in_channels=[256, 512, 1024, 2048 + 19]),
    decode_head=dict(num_classes=19),
    test_cfg=dict(mode='slide', crop_size=(512, 1024), stride=(341, 682)))
train_dataloader = dict(batch_size=4)
