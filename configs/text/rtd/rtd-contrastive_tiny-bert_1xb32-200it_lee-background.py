# RTD + contrastive (Vega v1's second pre-training phase) on CPU: a tiny randomly initialised BERT (2 layers, width
# 128, MiniLM's vocabulary; written by tools/text/demo_rtd.py, which sets model_path) pre-trained on the sentences of
# gensim's lee_background.cor. ELECTRA's objective as released (generator 1/4 of the width, 15% of the tokens, 85% of
# them [MASK], generator loss + 50 x discriminator loss) plus the sentence-level InfoNCE over two dropout views
# (weight 1, temperature 0.05: our choices, the paper gives none). Batch, length and iterations: the CPU budget.
_base_ = './_base_/rtd-contrastive_electra-objective.py'
model_path = 'work_dirs/rtd_demo/tiny-bert-random'
max_length = 48
model = dict(encoder=dict(model_path=model_path, pooling='mean', max_length=max_length), generator_width=0.25)
train_dataloader = dict(
    batch_size=32, num_workers=0,
    collate_fn=dict(model_path=model_path, max_length=max_length),
    dataset=dict(ann_file='gensim:lee_background.cor', split_sentences=True, min_chars=20))
# ELECTRA: Adam(W) with weight decay 0.01, eps 1e-6, linear warm-up then linear decay (Small: lr 5e-4)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, end_factor=1.0, by_epoch=False, begin=0, end=30),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=30, end=200)]
train_cfg = dict(max_iters=200)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=200))
