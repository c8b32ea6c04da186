# Supervised SimCSE, the paper's recipe (princeton-nlp/SimCSE run_sup_example.sh and README at 49fa580): NLI
# triplets (premise, entailment, contradiction as a hard negative; SimCSE's nli_for_simcse.csv with header
# sent0,sent1,hard_neg), 4 GPUs x 128 = batch 512 (every process's rows are negatives of every query: the loss gathers
# them, as upstream), lr 5e-5, 3 epochs, max length 32, temperature 0.05, CLS pooling with the MLP head kept at test
# time (upstream's --pooler_type cls without --mlp_only_train). Paper: STS average 81.57.
# Differs from upstream: validation on STS-B dev once per epoch (upstream: every 125 steps, keeping the best), since
# mmengine's epoch loop validates per epoch; the best epoch is kept as best_sts_spearman_*.pth.
# Not trained here (needs GPUs, BERT-base and the NLI data). On one process use batch_size=512 (or GradCache:
# model.mini_batch_size=64) to keep the 512 negatives.
_base_ = './simcse-unsup_bert-base_1xb64-1e_wiki1m.py'
columns = ('anchor', 'positive', 'negative')
model = dict(mlp_head=True, mlp_in_eval=True)
train_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(columns=columns),
    dataset=dict(_delete_=True, type='TextPairDataset', ann_file='data/simcse/nli_for_simcse.csv', columns=columns,
                 skip_header=True))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=0, end=3,
                        convert_to_iter_based=True)]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
