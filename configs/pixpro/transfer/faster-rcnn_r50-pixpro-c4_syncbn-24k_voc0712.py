# Pascal VOC07+12 Faster R-CNN R50-C4 from a PixPro encoder, the paper's protocol in mmdet: 24k iterations (batch 16,
# steps at 18k and 22k), SyncBN, no frozen stages, torchvision-style (not caffe) ResNet with RGB normalisation,
# multi-scale 480-800, and COCO-style AP: VOCMetric over IoU 0.50:0.95 (11-point, VOC2007 test, as detectron2),
# whose `mAP` is the mean over thresholds and AP50 / AP75 the paper's other two columns.
# Paper (ResNet-50): 58.8 AP / 83.0 AP50 / 66.5 AP75 at 100 pre-training epochs, 60.2 / 83.8 / 67.7 at 400.
# Left out: detectron2's extra BN after res5 (Res5ROIHeadsExtraNorm). Not trained here (needs GPUs and VOC).
# Not reproduced: detectron2's TEST.PRECISE_BN (the reference configs recompute every BN's running statistics
# over 200 training batches before each evaluation); mmdet 3.x has no such hook, so evaluation uses the
# running averages of training (SyncBN momentum 0.1).
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'
pretrained = 'work_dirs/pixpro_r50_8xb128-lars-100e_in1k/pixpro_r50_mmdet.pth'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(style='pytorch', frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(shared_head=dict(style='pytorch', norm_cfg=norm_cfg, norm_eval=False,
                                   init_cfg=dict(type='Pretrained', checkpoint=pretrained))))
max_iter = 24000
train_cfg = dict(max_iters=max_iter, val_interval=4000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iter, by_epoch=False, milestones=[18000, 22000], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
val_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points',  # VOC2007 test, as detectron2's evaluator
                     iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
