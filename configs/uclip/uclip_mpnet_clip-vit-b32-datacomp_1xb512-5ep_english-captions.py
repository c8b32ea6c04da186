# uCLIP as released (dinyudin203/uCLIP at 7580e51: train.py, uclip/*.py): frozen OpenCLIP ViT-B/32
# (datacomp_xl_s13b_b90k; convert it to our checkpoint with tools/model_converters) and frozen
# paraphrase-multilingual-mpnet-base-v2 (768-d, mean pooling, from a local folder); heads Linear -> BN -> ReLU ->
# Linear to 512 (head A 768 -> 1536 -> 512, head B 512 -> 1024 -> 512: about 3.0M trainable parameters); soft
# retrieval T 0.01 from 2M-image and 2M-multilingual-text banks, noise std sqrt(0.004); InfoNCE T 0.01, intra 0.1;
# AdamW lr 1e-3 (HF Trainer: linear decay, no warm-up, no weight decay), batch 512, 5 epochs. Evaluation: XM3600
# per-language retrieval (released focus: cs, fi, hr, hu, ro). Not run here; the demo config is the one measured.
_base_ = './uclip_minilm-l6_clip-vit-tiny_1xb64-200it_demo-shapes-64x64.py'
languages = ('cs', 'fi', 'hr', 'hu', 'ro')
model = dict(
    clip=dict(_delete_=True, type='CLIPPretrainer',
              image_encoder=dict(type='CLIPViT', arch='ViT-B/32', out_indices=(-1, ), with_embeddings=True),
              text_encoder=dict(type='CLIPTextTransformer', arch='ViT-B/32', context_length=77)),
    clip_checkpoint='checkpoints/openclip_vit-b32_datacomp-xl-s13b-b90k.pth',
    text_encoder=dict(type='text_align.TextEncoder', model_path='checkpoints/paraphrase-multilingual-mpnet-base-v2',
                      pooling='mean'),
    text_dim=768, clip_dim=512, joint_dim=512,
    image_bank=dict(cache_file='work_dirs/uclip_banks/images_2m.npy', data_root='data/uclip/',
                    image_dir='bank_images'),
    text_bank=dict(cache_file='work_dirs/uclip_banks/texts_2m.npy', data_root='data/uclip/',
                   files=['bank_texts.txt']),
    retrieval_chunk=65536,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_dataloader = dict(
    batch_size=512, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data_root='data/uclip/', ann_file='english_captions.csv', data_prefix=dict(img='')))
val_dataloader = dict(
    dataset=dict(data_root='data/xm3600/', languages=languages, ann_pattern='captions_{lang}.json',
                 data_prefix=dict(img='images'),
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='Resize', scale=(224, 224), keep_ratio=False),
                           dict(type='PackMultilingualCaptions')]))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultilingualRetrievalMetric', languages=languages, ks=(1, 5, 10))
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=5, val_interval=1)
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=0, end=5,
                        convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
