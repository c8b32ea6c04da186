# SupReMix on real human labels that ship offline: the 1225 document pairs of the Lee news corpus (gensim's lee.cor,
# 50 documents, similarities0-1.txt), split by document into 5 folds; training reads the 40 documents of the other
# folds only (their 780 pairs). Each batch holds 12 documents, i.e. 66 labelled pairs, each pair embedded as the
# elementwise product of its two normalised document embeddings (SupReMix(input_mode='document_pairs')).
# Loss settings are our choices (the paper's are not published; see README.md). The batch and the number of
# iterations are set by the CPU budget of tools/text/demo_supremix.py.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 64  # training length (CPU budget; documents run ~100-150 tokens); evaluation embeds at the model's limit
num_folds = 5
fold = 0  # the held-out fold of documents; the demo overrides it
model = dict(
    type='SupReMix',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    loss=dict(type='SupReMixLoss', temperature=0.07, num_hard_positives=4, hard_negatives=True,
              distance_weighting=True, label_tolerance=0.0),
    objective='contrastive',
    input_mode='document_pairs')
train_dataloader = dict(
    batch_size=12, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='LeeDocumentRegression', num_folds=num_folds, fold=fold, fold_seed=0))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-5, weight_decay=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=20)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=20))
