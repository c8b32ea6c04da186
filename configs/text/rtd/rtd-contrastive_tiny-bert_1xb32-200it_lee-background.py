# RTD + contrastive (Vega v1's second pre-training phase) on CPU: a tiny randomly initialised BERT (2 layers, width
# 128, MiniLM's vocabulary; written by tools/text/demo_rtd.py, which sets model_path) pre-trained on the sentences of
# gensim's lee_background.cor. ELECTRA's objective as released (generator 1/4 of the width, 15% of the tokens, 85% of
# them [MASK], generator loss + 50 x discriminator loss) plus the sentence-level InfoNCE over two dropout views
# (weight 1, temperature 0.05: our choices, the paper gives none). Batch, length and iterations: the CPU budget.
_base_ = '../_base_/text_runtime.py'
model_path = 'work_dirs/rtd_demo/tiny-bert-random'
max_length = 48
model = dict(
    type='RTDContrastive',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    generator_width=0.25, generator_depth=1.0, mask_probability=0.15, mask_token_fraction=0.85,
    sampling_temperature=1.0, generator_weight=1.0, discriminator_weight=50.0,
    contrastive_weight=1.0, contrastive_loss=dict(type='InBatchInfoNCELoss', temperature=0.05))
train_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='SentenceCorpus', ann_file='gensim:lee_background.cor', split_sentences=True, min_chars=20))
# ELECTRA: Adam(W) with weight decay 0.01, eps 1e-6, linear warm-up then linear decay (Small: lr 5e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.01, eps=1e-6),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, end_factor=1.0, by_epoch=False, begin=0, end=30),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=30, end=200)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=200))
