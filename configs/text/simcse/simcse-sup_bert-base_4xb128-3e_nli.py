# Supervised SimCSE, the paper's recipe (run_sup_example.sh): NLI triplets (premise, entailment, contradiction as a
# hard negative; SimCSE's nli_for_simcse.csv with header sent0,sent1,hard_neg), batch 128, lr 5e-5, 3 epochs,
# max length 32, temperature 0.05, CLS pooling with the MLP head in training. Paper: STS average 81.57.
# Not trained here (needs a GPU, BERT-base and the NLI data).
_base_ = './simcse-unsup_bert-base_1xb64-1e_wiki1m.py'
columns = ('anchor', 'positive', 'negative')
train_dataloader = dict(
    batch_size=128,
    collate_fn=dict(columns=columns),
    dataset=dict(_delete_=True, type='TextPairDataset', ann_file='data/simcse/nli_for_simcse.csv', columns=columns,
                 skip_header=True))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=True, begin=0, end=3,
                        convert_to_iter_based=True)]
train_cfg = dict(max_epochs=3)
