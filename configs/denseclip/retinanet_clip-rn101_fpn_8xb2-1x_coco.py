_base_ = ['./retinanet_clip-rn50_fpn_8xb2-1x_coco.py']
# Baseline: plain mmdet RetinaNet on a CLIP-initialised RN101. Paper (DenseCLIP README, COCO val): 40.5 box AP.
model = dict(backbone=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
