# PixPro with the BYOL instance branch (the README rows marked *): COCO Mask R-CNN R50-FPN 1x 41.3 box / 37.1 mask AP
# at 100 epochs. The reference code does not say which instance-loss weight those rows used; 1.0 here.
_base_ = './pixpro_r50_8xb128-lars-100e_in1k.py'
model = dict(loss_weights=dict(instance=1.0))
