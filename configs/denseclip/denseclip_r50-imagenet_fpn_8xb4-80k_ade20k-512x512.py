_base_ = ['./denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py']
# "Any backbone" DenseCLIP (paper Sec. 4.3): an ImageNet ResNet-50 (mmseg ResNetV1c) with a freshly initialised
# attention pool giving the dense embeddings; the CLIP text encoder stays. Weights: an mmseg/torchvision ResNet-50
# checkpoint at pretrained/resnet50_v1c.pth.
model = dict(
    backbone=dict(_delete_=True, type='BackboneWithAttentionPool',
                  backbone=dict(type='ResNetV1c', depth=50, norm_cfg=dict(type='SyncBN', requires_grad=True),
                                init_cfg=dict(type='Pretrained', checkpoint='pretrained/resnet50_v1c.pth')),
                  in_channels=(256, 512, 1024, 2048), strides=(4, 8, 16, 32), embed_dim=1024, num_heads=32, grid=16))
