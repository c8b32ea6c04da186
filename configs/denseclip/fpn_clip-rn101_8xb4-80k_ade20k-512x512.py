_base_ = ['./fpn_clip-rn50_8xb4-80k_ade20k-512x512.py']
# Baseline of the paper's table: Semantic FPN on a CLIP-initialised RN101 (mmseg EncoderDecoder). Paper (DenseCLIP
# README, ADE20K val): RN101-CLIP 42.7 mIoU single-scale, 44.3 multi-scale; 326.6 GFLOPs, 50.0 M params.
# Weights: we load OpenAI's RN101.pt, the CLIP RN101 the paper's table names. The reference config
# (segmentation/configs/fpn_clipres101_512x512_80k.py @5eda47f) points at RN50.pt instead; its non-strict load fills
# the keys RN50 shares with RN101 and leaves layer3.6-22 randomly initialised, so the 42.7 may come from that
# partly-RN50 backbone. To reproduce that setting, set init_cfg.checkpoint='pretrained/RN50.pt' (our loader reports the
# missing layer3 keys).
model = dict(backbone=dict(arch='RN101', init_cfg=dict(checkpoint='pretrained/RN101.pt')))
