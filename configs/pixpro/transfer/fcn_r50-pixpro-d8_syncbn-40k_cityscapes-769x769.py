# Cityscapes FCN (dilated ResNet-50, output stride 8) from a PixPro encoder. The encoder is a plain torchvision-style
# ResNet-50, so mmseg's ResNetV1c (deep stem) of the base config becomes mmseg's ResNet with the same dilations.
# Paper: 77.2 mIoU from the 400-epoch encoder (abstract only; its Cityscapes protocol was never released, this is
# the mmselfsup-style FCN benchmark). Not trained here (needs GPUs and Cityscapes).
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb2-80k_cityscapes-769x769.py'
pretrained = 'work_dirs/pixpro_r50_8xb128-lars-400e_in1k/pixpro_r50_mmdet.pth'
model = dict(
    pretrained=None,
    backbone=dict(type='ResNet', deep_stem=False, init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
