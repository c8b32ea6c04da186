# Contriever at CPU scale: the shipped all-MiniLM-L6-v2, gensim's Lee background news corpus as one token stream in
# 256-token chunks, a 4096-key queue, 100 iterations; otherwise the paper's settings (see
# contriever_bert-base_32xb64-500k_wiki-ccnet.py).
_base_ = './contriever_bert-base_32xb64-500k_wiki-ccnet.py'
model_path = 'shipped:all-MiniLM-L6-v2'
model = dict(encoder=dict(model_path=model_path), queue_size=4096)
train_dataloader = dict(
    batch_size=32, num_workers=2,
    collate_fn=dict(model_path=model_path),
    dataset=dict(ann_file='gensim:lee_background.cor', model_path=model_path))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=10, end=100),
]
train_cfg = dict(max_iters=100)
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=1), logger=dict(interval=10))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
