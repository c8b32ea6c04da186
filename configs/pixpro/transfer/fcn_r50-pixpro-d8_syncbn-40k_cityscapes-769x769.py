# Cityscapes FCN (dilated ResNet-50, output stride 8, SyncBN) from a PixPro encoder: the mmselfsup segmentation
# benchmark (`mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py`, 4 GPUs x 2 images, 40k iterations). The encoder is
# a plain torchvision-style ResNet-50, so mmseg's ResNetV1c (deep stem) of the base config becomes mmseg's ResNet
# with the same dilations. Paper: 77.2 mIoU from the 400-epoch encoder (abstract only; PixPro's Cityscapes protocol
# was never released, zdaxie/PixPro issue #2, so this benchmark is not necessarily the paper's). Not trained here
# (needs GPUs and Cityscapes).
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'
pretrained = 'work_dirs/pixpro_r50_8xb128-lars-400e_in1k/pixpro_r50_mmdet.pth'
model = dict(
    pretrained=None,
    backbone=dict(type='ResNet', deep_stem=False, init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
