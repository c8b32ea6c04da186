# SyCL at CPU scale: the shipped all-MiniLM-L6-v2, WS2Loss on graded lists generated from gensim's Lee background
# corpus by tools/text/make_graded_lee.py (queries of training documents; grades 3/2/1/0 by source, see that tool),
# group size 4, 60 iterations; nDCG@10 on the held-out documents' queries (BEIR folder, graded qrels).
# Run: python tools/text/make_graded_lee.py data/sycl_lee && python tools/train.py <this config>
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 96
data_root = 'data/sycl_lee'
model = dict(
    type='SyCL',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    loss=dict(type='WS2Loss', temperature=1.0, form='gaussian'))
train_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='graded_list_collate', model_path=model_path, max_length=max_length),
    dataset=dict(type='GradedListDataset', ann_file=f'{data_root}/train.jsonl', group_size=4, levels=(0, 1, 2, 3)))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='BEIRDataset', folder=f'{data_root}/beir', split='test'))
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric', folder=f'{data_root}/beir', split='test')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=60)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60, val_interval=60)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=60))
