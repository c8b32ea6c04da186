_base_ = ['./denseclip-retinanet_rn50_fpn_8xb2-1x_coco.py']
# Paper (DenseCLIP README, COCO val): RN101-DenseCLIP RetinaNet 41.1 box AP (360 GFLOPs, 78 M); RN101-CLIP 40.5.
model = dict(
    backbone=dict(arch=dict(layers=(3, 4, 23, 3), width=64, output_dim=512, image_size=1344),
                  init_cfg=dict(checkpoint='pretrained/RN101.pt')),
    text_encoder=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
