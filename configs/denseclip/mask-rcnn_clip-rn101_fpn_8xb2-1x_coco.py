_base_ = ['./mask-rcnn_clip-rn50_fpn_8xb2-1x_coco.py']
# Baseline: plain mmdet Mask R-CNN on a CLIP-initialised RN101. Paper (DenseCLIP README, COCO val): 42.2 box /
# 38.9 mask AP.
model = dict(backbone=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
