_base_ = ['./denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py']
# Paper (DenseCLIP README, ADE20K val): RN101-DenseCLIP 45.1 mIoU single-scale, 46.5 multi-scale; 346.3 GFLOPs,
# 67.8 M params. Weights: OpenAI's RN101.pt.
model = dict(
    backbone=dict(arch=dict(layers=(3, 4, 23, 3), width=64, output_dim=512, image_size=512),
                  init_cfg=dict(checkpoint='pretrained/RN101.pt')),
    text_encoder=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
