# Unsupervised SimCSE, the paper's recipe (princeton-nlp/SimCSE run_unsup_example.sh at 49fa580): bert-base-uncased
# (local folder checkpoints/bert-base-uncased), CLS pooling with an MLP head during training only (--mlp_only_train),
# dropout views, temperature 0.05, batch 64, lr 3e-5 decaying linearly to 0, max length 32, 1 epoch of the 1M
# sentences of wiki1m_for_simcse.txt (data/simcse/) = 15625 iterations.
# Model selection as upstream (--eval_steps 125 --metric_for_best_model stsb_spearman --load_best_model_at_end):
# STS-B dev (data/simcse/stsb_dev.tsv: sentence1, sentence2, score) every 125 iterations, the best Spearman kept as
# best_sts_spearman_iter_*.pth in the work dir; evaluate that checkpoint (tools/test.py), not the last one.
# Paper: STS average (7 tasks, Spearman) 76.25. Not trained here (needs a GPU, BERT-base and wiki1m).
_base_ = '../_base_/text_runtime.py'
model_path = 'checkpoints/bert-base-uncased'
model = dict(
    type='SimCSE',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='cls', normalize=False, max_length=32),
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05),
    mlp_head=True)
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=32),
    dataset=dict(type='SentenceCorpus', ann_file='data/simcse/wiki1m_for_simcse.txt'))
val_dataloader = dict(
    batch_size=128, num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('sentence1', 'sentence2'),
                    max_length=128, numeric_columns=('score', )),
    dataset=dict(type='TextPairDataset', ann_file='data/simcse/stsb_dev.tsv', columns=('sentence1', 'sentence2'),
                 numeric_columns=('score', )))
test_dataloader = val_dataloader
val_evaluator = dict(type='STSMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-5, weight_decay=0.0))
max_iters = 1_000_000 // 64  # one epoch of wiki1m at batch 64
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=max_iters)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=125)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=125, max_keep_ckpts=1, save_best='sts/spearman',
                                     rule='greater'),
                     logger=dict(interval=50))
env_cfg = dict(dist_cfg=dict(backend='nccl'))
