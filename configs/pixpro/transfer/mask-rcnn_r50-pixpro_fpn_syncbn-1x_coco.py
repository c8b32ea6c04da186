# COCO Mask R-CNN R50-FPN 1x from a PixPro encoder, the paper's detection protocol in mmdet: SyncBN in the backbone,
# FPN and a 4conv1fc box head, no frozen stages, multi-scale training 640-800, RGB normalisation.
# Paper (ResNet-50, 100 pre-training epochs): 40.8 box AP / 36.8 mask AP; 41.3 / 37.1 with the instance branch;
# 400 epochs with the instance branch: 41.4 / 37.4. Not trained here (needs GPUs and COCO).
# Not reproduced: detectron2's TEST.PRECISE_BN (the reference configs recompute every BN's running statistics
# over 200 training batches before each evaluation); mmdet 3.x has no such hook, so evaluation uses the
# running averages of training (SyncBN momentum 0.1).
# Set `pretrained` to the file written by tools/model_converters/pixpro_export.py.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
pretrained = 'work_dirs/pixpro_r50_8xb128-lars-100e_in1k/pixpro_r50_mmdet.pth'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                                            (1333, 800)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
