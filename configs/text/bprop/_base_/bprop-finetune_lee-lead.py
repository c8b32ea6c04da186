# What B-PROP's two CPU-scale fine-tuning configs (bi-encoder and re-ranker) share: the Lee lead-sentence BEIR set that
# `python tools/text/demo_bprop.py --data-only data/bprop_lee` writes (query = a document's lead sentence, relevant
# document = the rest of it), BM25-hard negatives from its top 30, validation on the held-out queries, AdamW at 2e-5
# decayed linearly to 0 over 40 iterations. The leaves add the model, the collate functions, the batch sizes, the
# number of negatives, the validation rows and the metric.
_base_ = '../../_base_/text_runtime.py'
data_root = 'data/bprop_lee/beir'
train_dataloader = dict(
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BEIRRankingGroups', folder=data_root, split='train', bm25_top_k=30))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(folder=data_root, split='test'))
test_dataloader = val_dataloader
val_evaluator = dict(folder=data_root, split='test')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=40)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=40))
