_base_ = ['./denseclip-mask-rcnn_rn50_fpn_8xb2-1x_coco.py']
# Paper (DenseCLIP README, COCO val): RN101-DenseCLIP Mask R-CNN 42.6 box / 39.6 mask AP; RN101-CLIP 42.2 / 38.9.
model = dict(
    backbone=dict(arch=dict(layers=(3, 4, 23, 3), width=64, output_dim=512, image_size=1344),
                  init_cfg=dict(checkpoint='pretrained/RN101.pt')),
    text_encoder=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
