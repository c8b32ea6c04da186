# SyCL (Findings of EMNLP 2025) as released (BatsResearch/sycl@ce15a94, README "graduated relevance labels using
# synthetic data with Wasserstein loss"): facebook/contriever, mean pooling, no normalisation, WS2Loss (T = 1.0,
# trove's default), group size 4 drawn at random from each query's graded passages, max length 256, lr 1e-5,
# 5% warm-up then linear decay, 1 epoch, 16 queries per GPU x 4 GPUs x 4 accumulation steps.
# Data: the graded lists of HF BatsResearch/sycl (llama33_70b corpus + qrels joined with the MS MARCO train
# queries) converted to our JSONL (one query per line, passages with grades 3/2/1/0); nothing is downloaded here.
_base_ = '../_base_/text_runtime.py'
model_path = 'facebook/contriever'
max_length = 256
model = dict(
    type='SyCL',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=False, max_length=max_length),
    loss=dict(type='WS2Loss', temperature=1.0, form='gaussian'))
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='graded_list_collate', model_path=model_path, max_length=max_length),
    dataset=dict(type='GradedListDataset', ann_file='data/sycl/msmarco_llama33_70b_graded.jsonl', group_size=4,
                 levels=(0, 1, 2, 3)))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.0),
                     accumulative_counts=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=0.05, convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=0.05, end=1,
         convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
