# RTD + contrastive at paper scale. Vega v1 (JD Explore, 2023) publishes only the outline of its second phase
# (replaced-token detection + sentence-embedding contrastive learning on a 1.3B disentangled-attention model); the
# values below are ELECTRA-Base's released recipe (google-research/electra configure_pretraining.py and the paper's
# Table 6): generator 1/3 of the discriminator's width, all its layers, 15% masked (85% of them [MASK]), generator
# loss + 50 x discriminator loss, lr 2e-4, 10k warm-up steps then linear decay over 766k steps, batch 256, length
# 512, weight decay 0.01, Adam eps 1e-6. The contrastive weight and temperature are our choices.
# Set model_path to the local discriminator folder (any transformers encoder with a tokenizer that has [MASK]) and
# corpus to a text file (one passage per line) or a .jsonl with "text".
_base_ = './_base_/rtd-contrastive_electra-objective.py'
model_path = 'data/models/discriminator-base'
corpus = 'data/pretraining/corpus.txt'
max_length = 512
model = dict(encoder=dict(model_path=model_path, pooling='cls', max_length=max_length), generator_width=1 / 3)
train_dataloader = dict(
    batch_size=256, num_workers=4, persistent_workers=True,
    collate_fn=dict(model_path=model_path, max_length=max_length),
    dataset=dict(ann_file=corpus))
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, end_factor=1.0, by_epoch=False, begin=0, end=10000),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=10000, end=766000)]
train_cfg = dict(max_iters=766000)
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=10000))
