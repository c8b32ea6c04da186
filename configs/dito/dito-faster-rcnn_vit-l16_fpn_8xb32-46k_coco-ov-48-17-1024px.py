_base_ = ['./_base_/dito_vit-l16_fpn_1024px.py', './_base_/ov_coco_48_17.py']
# OV-COCO, ViT-L/16, 1024 px (released gin: COCO, masks off). Paper: novel AP50 40.8 (v1) / 39.6 (v2). Not run.
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(save_best='coco/novel_ap50', rule='greater'))
