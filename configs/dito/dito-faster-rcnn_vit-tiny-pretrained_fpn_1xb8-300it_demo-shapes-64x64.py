_base_ = './dito-faster-rcnn_vit-tiny_fpn_1xb8-300it_demo-shapes-64x64.py'
# The same detector initialised from DITO pre-training (dito-pretrain_vit-tiny_...): the ViT, the FPN, the box head's
# shared FCs and text projection, and the text encoder load key by key from the DITOPretrainer checkpoint by prefix
# (the released train.clip_pretrained_filters: feature_pyramid_fn, fastrcnn_head_fn and the vision model); the
# frozen ViT of the fusion loads the same backbone. The box regressor and background embedding start fresh.
pretrained = 'work_dirs/dito_demo/pretrain/iter_300.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='neck.')),
    roi_head=dict(bbox_head=dict(init_cfg=[dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                                            dict(type='Pretrained', checkpoint=pretrained, prefix='bbox_head.')])),
    text_encoder=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='text_encoder.')),
    vlm=dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.'))))
