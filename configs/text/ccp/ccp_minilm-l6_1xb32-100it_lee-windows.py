# CCP at CPU scale: the shipped all-MiniLM-L6-v2, context-prediction pairs (window 2) from the documents of gensim's
# Lee background corpus (one language), a 1024-key bank, BN on the anchor side, T = 0.05, 100 iterations;
# validation on the Lee document-similarity set (Spearman x100). Whitening is fitted afterwards by
# tools/text/fit_whitening.py and saved into the checkpoint.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 64
model = dict(
    type='CCP',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    num_languages=1, bank_size=1024, temperature=0.05, asymmetric_bn='anchor', symmetric=True)
train_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('anchor', 'positive'),
                    max_length=max_length),
    dataset=dict(type='SentenceWindowPairs', ann_file='gensim:lee_background.cor', window=2, min_chars=30,
                 languages=('en', )))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('sentence1', 'sentence2'),
                    max_length=256, numeric_columns=('score', )),
    dataset=dict(type='LeeDocumentSimilarity'))
test_dataloader = val_dataloader
val_evaluator = dict(type='STSMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=100)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=100))
