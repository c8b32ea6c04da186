# DenseCLIP (Rao et al., CVPR 2022), Semantic FPN with a CLIP RN50, the paper's settings. The leaves set the data,
# the class count and the checkpoints. CLIP weights: OpenAI's RN50.pt as downloaded (the CLIP encoders read TorchScript
# archives, open_clip and Hugging Face files directly, resizing positional embeddings; no conversion needed).
# As the reference (raoyongming/DenseCLIP @5eda47f): the backbone's BatchNorms are SyncBN (its train scripts convert
# them), and the 7x7 positional grid is resized bilinearly to 16x16 (image_size 512) at load and to each input.
norm_cfg = dict(type='SyncBN', requires_grad=True)
num_classes = 150
model = dict(
    type='DenseCLIPSegmentor',
    class_names='ADE20KDataset',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512)),
    backbone=dict(type='CLIPResNet', arch=dict(layers=(3, 4, 6, 3), width=64, output_dim=1024, image_size=512),
                  with_attnpool=True, norm_cfg=norm_cfg, pos_interpolation='bilinear',
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    text_encoder=dict(type='CLIPTextTransformer', arch='RN50', context_length=77,
                      init_cfg=dict(type='Pretrained', checkpoint='pretrained/RN50.pt')),
    prompting='post',
    context_decoder=dict(width=256, heads=4, layers=3, dropout=0.1),
    num_context=8,
    score_concat_index=3,
    tau=0.07,
    score_loss_weight=0.4,
    score_loss_avg_non_ignore=False,  # mmseg 0.x's mean over all pixels, ignored ones counting 0, as the reference
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048 + num_classes], out_channels=256, num_outs=4),
    decode_head=dict(type='FPNHead', in_channels=[256, 256, 256, 256], in_index=[0, 1, 2, 3],
                     feature_strides=[4, 8, 16, 32], channels=256, dropout_ratio=0.1, num_classes=num_classes,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
