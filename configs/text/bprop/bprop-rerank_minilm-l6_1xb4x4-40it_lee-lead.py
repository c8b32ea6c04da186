# B-PROP fine-tuned as a re-ranker at CPU scale: a cross-encoder ([CLS] query [SEP] document [SEP], Linear on the
# dropped-out pooled [CLS], the released PROP head) on the Lee lead-sentence BEIR set that
# `python tools/text/demo_bprop.py --data-only data/bprop_lee` writes (query = a document's lead sentence, relevant
# document = the rest of it); 4 queries x (1 positive + 3 BM25-hard negatives) per step, pairwise loss (the ROP form:
# softmaxed pair, margin 1); validation re-ranks the BM25 top 10 of the held-out queries.
# For a B-PROP-pre-trained start, set model.model_path (and both collate_fn.model_path) to a folder that
# BPROP.save_encoder wrote.
_base_ = './_base_/bprop-finetune_lee-lead.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 128
model = dict(type='CrossEncoderReranker', model_path=model_path, loss='pairwise', margin=1.0)
train_dataloader = dict(
    batch_size=4,
    collate_fn=dict(type='cross_encoder_collate', model_path=model_path, max_length=max_length),
    dataset=dict(num_negatives=3))
val_dataloader = dict(
    collate_fn=dict(type='cross_encoder_collate', model_path=model_path, max_length=max_length),
    dataset=dict(type='BEIRRerankPairs', top_k=10))
test_dataloader = val_dataloader
val_evaluator = dict(type='RerankMetric')
test_evaluator = val_evaluator
