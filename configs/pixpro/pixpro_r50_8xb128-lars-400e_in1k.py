# The paper's 400-epoch recipe; everything else as the 100-epoch config. Paper transfer numbers (ResNet-50):
#   VOC07+12 Faster R-CNN R50-C4 24k: 60.2 AP; COCO Mask R-CNN R50-FPN 1x 41.4 / 37.4 is with the instance branch
#   (pixpro-ins_r50_8xb128-lars-400e_in1k.py);
#   Cityscapes FCN: 77.2 mIoU (transfer/fcn_r50-pixpro-d8_syncbn-40k_cityscapes-769x769.py).
_base_ = './pixpro_r50_8xb128-lars-100e_in1k.py'
max_epochs = 400
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=5, end=max_epochs, eta_min=1e-6, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
