# uCLIP on the demo data: the frozen tiny CLIP of the DreamLIP demo's plain-CLIP run (clip_checkpoint, 64-d) and the
# frozen shipped all-MiniLM-L6-v2 (384-d; English-only, so this demo measures the mechanism, not multilinguality);
# heads trained on the English training captions with pseudo pairs soft-retrieved from banks of the (unpaired)
# training images and the (unpaired) German/French/Spanish training captions. Evaluation: per-language R@k on the
# held-out images.
_base_ = '../_base_/default_runtime.py'
data_root = 'data/demo_shapes/'
languages = ('en', 'de', 'fr', 'es')
context_length = 32
model = dict(
    type='UCLIPModel',
    clip=dict(
        type='CLIPPretrainer',
        image_encoder=dict(type='CLIPViT', arch=dict(patch_size=8, width=64, layers=2, heads=4, output_dim=64,
                                                     image_size=64),
                           out_indices=(-1, ), with_embeddings=True),
        text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64),
                          context_length=context_length)),
    clip_checkpoint='work_dirs/clip_vit-tiny_1xb64-300it_demo-shapes-64x64/iter_300.pth',
    text_encoder=dict(type='text_align.TextEncoder', model_path='shipped:all-MiniLM-L6-v2'),
    text_dim=384, clip_dim=64, joint_dim=512,
    image_bank=dict(cache_file='work_dirs/uclip_banks/demo_images.npy', data_root=data_root,
                    image_dir='images/train'),
    text_bank=dict(cache_file='work_dirs/uclip_banks/demo_texts.npy', data_root=data_root,
                   files=[f'annotations/multilingual/captions_{lang}_train.json' for lang in ('de', 'fr', 'es')]),
    temperature=0.01, retrieval_temperature=0.01, noise_std=0.004**0.5, intra_weight=0.1,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_dataloader = dict(  # English captions only (the images are loaded but unused by the loss)
    batch_size=64,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ImageCaptionDataset', data_root=data_root, ann_file='annotations/captions_train.json',
                 data_prefix=dict(img='images/train'),
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='SampleCaption'), dict(type='PackImageCaption')]))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultilingualCaptionDataset', data_root=data_root, languages=languages,
                 ann_pattern='annotations/multilingual/captions_{lang}_val.json', data_prefix=dict(img='images/val'),
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='PackMultilingualCaptions')]))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultilingualRetrievalMetric', languages=languages, ks=(1, 5, 10))
test_evaluator = val_evaluator
# released: lr 1e-3, batch 512, 5 epochs (HF Trainer: AdamW, linear decay, no warm-up)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=200)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
