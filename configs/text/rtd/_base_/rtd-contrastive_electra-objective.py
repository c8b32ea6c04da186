# What the RTD + contrastive configs share: ELECTRA's objective as released (google-research/electra
# configure_pretraining.py: generator with all the discriminator's layers, 15% of the tokens masked, 85% of them
# [MASK], generator loss + 50 x discriminator loss) plus the sentence-level InfoNCE over two dropout views (weight 1,
# temperature 0.05: our choices, Vega v1 gives none), on a SentenceCorpus tokenised as one "text" column, with
# ELECTRA's optimiser (AdamW, weight decay 0.01, eps 1e-6, gradients clipped to norm 1). The leaves add the encoder
# (model_path, pooling, length), the generator's width, the data, the learning rate and the schedule.
_base_ = '../../_base_/text_runtime.py'
model = dict(
    type='RTDContrastive',
    encoder=dict(type='TextEncoder', normalize=False),
    generator_depth=1.0, mask_probability=0.15, mask_token_fraction=0.85,
    sampling_temperature=1.0, generator_weight=1.0, discriminator_weight=50.0,
    contrastive_weight=1.0, contrastive_loss=dict(type='InBatchInfoNCELoss', temperature=0.05))
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='tokenize_collate', columns=('text', )),
    dataset=dict(type='SentenceCorpus'))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', weight_decay=0.01, eps=1e-6),
                     clip_grad=dict(max_norm=1.0))
train_cfg = dict(type='IterBasedTrainLoop')
