_base_ = './dito-faster-rcnn_vit-l16_fpn_8xb32-46k_coco-ov-48-17-1024px.py'
# OV-COCO, ViT-B/16 (global attention in blocks 3, 6, 9, 12 as ViTDet-B). No released ViT-B checkpoint. Not run.
embed_dim = 512
vit_arch = dict(patch_size=16, width=768, layers=12, heads=12, output_dim=embed_dim, image_size=224)
model = dict(
    backbone=dict(arch=vit_arch, out_indices=(2, 5, 8, 11), global_attn_indexes=(2, 5, 8, 11)),
    neck=dict(in_channels=[768] * 4),
    roi_head=dict(bbox_head=dict(text_dim=embed_dim)),
    text_encoder=dict(arch=dict(width=512, layers=12, heads=8, output_dim=embed_dim)),
    vlm=dict(backbone=dict(arch=vit_arch, out_indices=(11, ), global_attn_indexes=(11, ))))
