# DreamLIP at paper scale: CLIP ViT-B/16 with the released loss settings of zyf0619sjtu/DreamLIP (training/params.py,
# open_clip/loss.py at 84e073a): num_text 6 sub-captions, merged_num 1, multi-positive circle loss (margin 0.25,
# gamma 32, / 10), grouping loss (min-max, sgl_delta 0, weight 1.0), CLIP loss weight 1.0 divided by 1 + num_text.
# The released code holds no training script or schedule: the optimiser, batch and schedule below are the open_clip
# recipe of ../imagetext (without feature-cached accumulation, which DreamLIP's sub-captions do not support).
# Data: a caption file (CSV/JSON) with the short captions + a JSON {image id or file name: long caption(s)}.
# Not run here (no GPU cluster); the demo config is the one trained and measured.
_base_ = '../imagetext/clip_vit-b32_8xb512-acc8-390k_laion400m-224px.py'
model = dict(
    _delete_=True,
    type='DreamLIPPretrainer',
    image_encoder=dict(type='CLIPViT', arch='ViT-B/16', out_indices=(-1, ), with_embeddings=True),
    text_encoder=dict(type='CLIPTextTransformer', arch='ViT-B/16', context_length=77),
    init_temperature=0.07,
    use_multipos_loss=True, margin=0.25, gamma=32, mpl_divisor=10.0,
    use_grouping_loss=True, sgl_norm='minmax', sgl_delta=0.0, sgl_weight=1.0, clip_weight=1.0,
    itc_divide_by_texts=True,
    mpl_skip_same_text=False, sgl_skip_same_text=False,  # as released: identical caption texts are negatives too
    class_names='IMAGENET_CLASSNAMES',
    templates='OPENAI_IMAGENET_TEMPLATES',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
model_wrapper_cfg = None
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False, interpolation='bicubic'),
    dict(type='SampleCaption'),
    dict(type='SampleSubCaptions', num_text=6, merged_num=1, long_keys=('long_caption', )),
    dict(type='TokenizeCaption', context_length=77),
    dict(type='PackImageSubCaptions'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='LongCaptionDataset', data_root='data/long_captions/', ann_file='annotations/train.csv',
                 long_caption_file='annotations/long_captions.json', data_prefix=dict(img='images'),
                 pipeline=train_pipeline))
custom_hooks = [dict(type='ClampLogitScaleHook')]
