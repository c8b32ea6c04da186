# PixPro with the BYOL instance branch, 400 epochs: the README row marked * that reports COCO Mask R-CNN R50-FPN 1x
# 41.4 box / 37.4 mask AP. The reference code does not say which instance-loss weight that row used; 1.0 here.
_base_ = './pixpro_r50_8xb128-lars-400e_in1k.py'
model = dict(loss_weights=dict(instance=1.0))
