_base_ = ['./denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py']
# "Any backbone" DenseCLIP (paper Sec. 4.3): an ImageNet ResNet-50 (mmseg ResNetV1c) with a freshly initialised
# attention pool giving the dense embeddings; the CLIP text encoder stays. Weights: mmcv's ImageNet ResNet-50-V1c
# checkpoint (open-mmlab://resnet50_v1c, the one mmseg's own FPN baselines start from) saved at
# pretrained/resnet50_v1c.pth. ResNetV1c has a deep 3-conv stem, so torchvision's ResNet-50 weights do not fit it; for
# those use type='ResNet' (mmseg's torchvision-layout ResNet, 7x7 stem) with checkpoint='torchvision://resnet50'.
model = dict(
    backbone=dict(_delete_=True, type='BackboneWithAttentionPool',
                  backbone=dict(type='ResNetV1c', depth=50, norm_cfg=dict(type='SyncBN', requires_grad=True),
                                init_cfg=dict(type='Pretrained', checkpoint='pretrained/resnet50_v1c.pth')),
                  in_channels=(256, 512, 1024, 2048), strides=(4, 8, 16, 32), embed_dim=1024, num_heads=32, grid=16))
