# B-PROP at CPU scale: the shipped all-MiniLM-L6-v2 weighs the words of gensim's Lee background documents by its own
# last-layer [CLS] attention (cached in work_dirs/bprop_lee_attention.json), 10 word-set pairs per document,
# Poisson(3) lengths, ROP margin ranking + MLM, 40 iterations of 8 documents (16 sequences).
# Differs from the release on purpose: no short-document skipping (skip_short_prob=0: the Lee documents are short),
# max length 256 (CPU).
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 256
model = dict(type='BPROP', model_path=model_path, mlm_weight=1.0)
train_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='bprop_collate', model_path=model_path, max_length=max_length, mlm_probability=0.15),
    dataset=dict(type='RepresentativeWordPairs', ann_file='gensim:lee_background.cor', model_path=model_path,
                 max_length=max_length, num_pairs=10, poisson_lambda=3.0, min_words=10, skip_short_prob=0.0,
                 cache_file='work_dirs/bprop_lee_attention.json'))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=40)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=40))
