_base_ = ['./fpn_clip-rn50_8xb4-80k_ade20k-512x512.py']
# Baseline of the paper's table: Semantic FPN on a CLIP-initialised RN101 (mmseg EncoderDecoder). Paper (DenseCLIP
# README, ADE20K val): RN101-CLIP 42.7 mIoU single-scale, 44.3 multi-scale; 326.6 GFLOPs, 50.0 M params.
model = dict(backbone=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
