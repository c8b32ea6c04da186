# B-PROP as released (Albert-Ma/PROP@8f0248f, bprop/README.md): bert-base-uncased re-trained with ROP + MLM, word sets
# from its own attention with the 'entropy' (divergence from randomness) method, 10 pairs per document, Poisson(3),
# 80% of documents under 200 word pieces skipped, batch 80 (40 documents x 2 sets), lr 2e-5, 1 epoch, negative_num 1.
# Data: one Wikipedia document per line (not shipped; nothing is downloaded).
_base_ = './bprop_minilm-l6_1xb8-40it_lee.py'
model_path = 'bert-base-uncased'
max_length = 512
model = dict(model_path=model_path)
train_dataloader = dict(
    batch_size=40, num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(model_path=model_path, max_length=max_length),
    dataset=dict(ann_file='data/bprop/wiki_documents.txt', model_path=model_path, max_length=max_length,
                 skip_short_prob=0.8, short_tokens=200, cache_file='data/bprop/attention_cache.json'))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=0, end=1,
                        convert_to_iter_based=True)]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=1)
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(by_epoch=True, interval=1))
