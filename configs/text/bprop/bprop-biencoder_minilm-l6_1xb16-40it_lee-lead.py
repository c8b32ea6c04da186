# B-PROP fine-tuned as a bi-encoder at CPU scale: query and document embedded apart (mean pooling, normalised),
# in-batch InfoNCE (T = 0.05) with one BM25-hard negative per query, on the Lee lead-sentence BEIR set of
# `python tools/text/demo_bprop.py --data-only data/bprop_lee`; validation retrieves over the whole corpus for the
# held-out queries (RetrievalMetric). For a B-PROP-pre-trained start set model.encoder.model_path (and both
# collate_fn.model_path) to a folder that BPROP.save_encoder wrote.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 128
data_root = 'data/bprop_lee/beir'
model = dict(
    type='SimCSE',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=True, max_length=max_length),
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05))
train_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('anchor', 'positive', 'negative'),
                    max_length=max_length),
    dataset=dict(type='BEIRRankingGroups', folder=data_root, split='train', num_negatives=1, bm25_top_k=30))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='BEIRDataset', folder=data_root, split='test'))
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric', folder=data_root, split='test')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=40)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=40))
