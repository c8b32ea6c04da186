# Contriever pre-training, the paper's recipe (facebookresearch/contriever example_scripts/contriever.sh, src/data.py,
# src/options.py, src/utils.py at 39fb220): BERT-base (uncased, local folder checkpoints/bert-base-uncased); the corpus
# tokenised into one token stream cut into full 256-token chunks, two independent crops (5-50% of a chunk) with 10%
# token deletion; MoCo with a 131072-key queue and key-encoder momentum 0.9995, temperature 0.05, mean pooling, dot
# product; AdamW lr 5e-5, betas (0.9, 0.98), eps 1e-6, weight decay 0.01, no gradient clipping, fp32; 20k linear
# warm-up then linear decay to 0, 500k steps, 64 chunks x 32 GPUs.
# Paper: beats BM25 on 11 of 15 BEIR datasets for Recall@100; BEIR nDCG@10 average 37.7 (unsupervised).
# Not trained here (needs GPUs and Wikipedia + CCNet). Evaluate at 512 tokens as upstream's eval_beir.py:
#   python tools/text/eval_beir.py BEIR_DIR --config CONFIG --checkpoint CKPT   (--max-length defaults to 512 here)
_base_ = '../_base_/text_runtime.py'
model_path = 'checkpoints/bert-base-uncased'
model = dict(
    type='Contriever',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=256),
    queue_size=131072, momentum=0.9995, temperature=0.05, normalize=False)
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='independent_crops_collate', model_path=model_path, ratio_min=0.05, ratio_max=0.5,
                    deletion=0.1),
    dataset=dict(type='TokenChunkCorpus', ann_file='data/contriever/wiki_ccnet.jsonl', model_path=model_path,
                 chunk_length=256))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=5e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01))
max_iters = 500_000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=20_000),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=20_000, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=20_000, max_keep_ckpts=3), logger=dict(interval=100))
env_cfg = dict(dist_cfg=dict(backend='nccl'))
