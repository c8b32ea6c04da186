# B-PROP fine-tuned as a bi-encoder at CPU scale: query and document embedded apart (mean pooling, normalised),
# in-batch InfoNCE (T = 0.05) with one BM25-hard negative per query, on the Lee lead-sentence BEIR set of
# `python tools/text/demo_bprop.py --data-only data/bprop_lee`; validation retrieves over the whole corpus for the
# held-out queries (RetrievalMetric). For a B-PROP-pre-trained start set model.encoder.model_path (and both
# collate_fn.model_path) to a folder that BPROP.save_encoder wrote.
_base_ = './_base_/bprop-finetune_lee-lead.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 128
model = dict(
    type='SimCSE',
    encoder=dict(type='TextEncoder', model_path=model_path, pooling='mean', normalize=True, max_length=max_length),
    loss=dict(type='InBatchInfoNCELoss', temperature=0.05))
train_dataloader = dict(
    batch_size=16,
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('anchor', 'positive', 'negative'),
                    max_length=max_length),
    dataset=dict(num_negatives=1))
val_dataloader = dict(
    collate_fn=dict(type='tokenize_collate', model_path=model_path, columns=('text', ), max_length=max_length),
    dataset=dict(type='BEIRDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
