# B-PROP fine-tuned as a re-ranker at CPU scale: a cross-encoder ([CLS] query [SEP] document [SEP], Linear on the
# dropped-out pooled [CLS], the released PROP head) on the Lee lead-sentence BEIR set that
# `python tools/text/demo_bprop.py --data-only data/bprop_lee` writes (query = a document's lead sentence, relevant
# document = the rest of it); 4 queries x (1 positive + 3 BM25-hard negatives) per step, pairwise loss (the ROP form:
# softmaxed pair, margin 1); validation re-ranks the BM25 top 10 of the held-out queries.
# For a B-PROP-pre-trained start, set model.model_path (and both collate_fn.model_path) to a folder that
# BPROP.save_encoder wrote.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 128
data_root = 'data/bprop_lee/beir'
model = dict(type='CrossEncoderReranker', model_path=model_path, loss='pairwise', margin=1.0)
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='cross_encoder_collate', model_path=model_path, max_length=max_length),
    dataset=dict(type='BEIRRankingGroups', folder=data_root, split='train', num_negatives=3, bm25_top_k=30))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='cross_encoder_collate', model_path=model_path, max_length=max_length),
    dataset=dict(type='BEIRRerankPairs', folder=data_root, split='test', top_k=10))
test_dataloader = val_dataloader
val_evaluator = dict(type='RerankMetric', folder=data_root, split='test')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=40)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=40))
