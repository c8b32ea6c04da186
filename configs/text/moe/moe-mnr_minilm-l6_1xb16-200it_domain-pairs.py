# Mixture-of-experts sentence embeddings after Hallee et al. (Gleghorn-Lab/Mixture-of-Experts-Sentence-Similarity at
# 2a67569): the feed-forward block of the last layer copied into one expert per domain, routing enforced per example
# (row field "domain", or a leading "[DOMAIN]" token in the anchor), trained with the multiple-negatives ranking loss
# on cosine similarity (temperature 0.05 = scale 20) at lr 1e-4, batch 16 (upstream's lr and batch; max length 512
# there, 128 here). Data: JSONL rows {"anchor", "positive", "domain"}, e.g. co-cited abstracts of the five domains.
# Not upstream's configuration: its reported all-domain max-F1 0.887 (moe_tokensHF) is ModernBERT-base with every
# layer converted to experts, its mnr_plus loss on raw dot products, an MLP pooler and added domain tokens, and its
# single-expert model reaches 0.877 (se_all_tokensHF). Neither is reproduced here, and no F1 is claimed.
_base_ = '../_base_/text_runtime.py'
model_path = 'shipped:all-MiniLM-L6-v2'
model = dict(
    type='DomainExpertEncoder',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=128),
    domains=['COPD', 'CVD', 'CANCER', 'PARASITIC', 'AUTOIMMUNE'],
    num_moe_layers=1,
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05))
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='NoDuplicatesBatchSampler', drop_last=True),
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('anchor', 'positive'), max_length=128),
    dataset=dict(type='TextPairDataset', ann_file='data/moe/domain_pairs.jsonl', columns=('anchor', 'positive'),
                 extra_columns=('domain', )))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=200)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
default_hooks = dict(checkpoint=dict(interval=200), logger=dict(interval=10))
