# SPACE-2 pre-training as released (AlibabaResearch/DAMO-ConvAI space-2/, scripts/pre_train/train.sh and the argument
# defaults of space/models/unified_transformer.py and space/trainers/trainer.py):
# - labelled turns (AnPreDial, converted to the JSONL dialog format with tools/data/convert_dialogs.py) and
#   unlabelled turns (UnPreDial) in one file; each step one labelled batch (128) + one unlabelled batch (128) in total,
#   i.e. 16 + 16 per process on 8 processes; an epoch lasts as long as the larger pool, the smaller one starts over
# - user turns with up to 16 turns of context, 256 tokens (the oldest cut first); dropout 0.2 everywhere
# - 10 view subspaces of 768 (Linear(768, 7680) + Tanh), soft SupCon per view, temperature = base temperature = 0.07
# - + 0.1 x token-level MLM (labelled value spans masked, other turns 15% BERT masking)
# - AdamW lr 1e-5, weight decay 0, linear warm-up over the first 10% then linear decay, gradient norm clipped at 5,
#   60 epochs. Initialisation: ConvBERT (DialoGLUE's BERT-base further trained on dialogs), a local folder here.
_base_ = '../_base_/text_runtime.py'
model_path = 'data/convbert'  # a local transformers folder (ConvBERT / BERT-base); nothing is downloaded
max_length = 256
num_epochs = 60
model = dict(
    type='SPACE2',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='cls', normalize=False, max_length=max_length),
    loss=dict(type='SoftSupConLoss', temperature=0.07, base_temperature=0.07),
    subspace_dim=None,  # None: the encoder width (768), as SUBSPACE_DIM=768
    views=None,  # all 10 (TRIGGER_SUBSPACES empty)
    mlm_weight=0.1,
    use_labels=True,
    dropout=0.2)
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='SemiSupervisedBatchSampler', unlabelled_batch_size=16),
    collate_fn=dict(type='dialog_collate', model_path=model_path, max_length=max_length, mlm_probability=0.15),
    dataset=dict(type='DialogTurnDataset', ann_file='data/anpredial_unpredial/train.jsonl', context_turns=16,
                 speakers=('user', )))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.0),
                     clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, end_factor=1.0, by_epoch=True, begin=0, end=num_epochs // 10,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=num_epochs // 10, end=num_epochs,
         convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=num_epochs)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(by_epoch=True, interval=1))
randomness = dict(seed=11)
