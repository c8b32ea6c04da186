# CCP (IJCAI 2022) pre-training as we read the paper; the public repo (wuning0929/CCP_IJCAI22@10534cf) has no
# pre-training code, so every value below except the method's structure is OUR choice (see README.md):
# window 2, T = 0.05, 4096 keys per language, BN on the anchor side, lr 2e-5, 100k iterations, 8 GPUs x 64.
# Data: one document per line with its language, JSONL {"text", "language"} (e.g. Wikipedia dumps of the languages
# below); not shipped, nothing is downloaded.
_base_ = './ccp_minilm-l6_1xb32-100it_lee-windows.py'
model_path = 'xlm-roberta-base'
max_length = 128
languages = ('en', 'de', 'fr', 'es', 'zh', 'ja', 'ar', 'ru')
model = dict(encoder=dict(model_path=model_path, pooling='cls', max_length=max_length),
             num_languages=len(languages), bank_size=4096)
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    collate_fn=dict(model_path=model_path, max_length=max_length),
    dataset=dict(ann_file='data/ccp/wiki_multilingual.jsonl', min_chars=20, languages=languages))
val_dataloader = dict(
    collate_fn=dict(_delete_=True, type='tokenize_collate', model_path=model_path, columns=('text', ),
                    max_length=max_length),
    dataset=dict(_delete_=True, type='ParallelSentences', src_file='data/tatoeba/tatoeba.de-eng.de',
                 tgt_file='data/tatoeba/tatoeba.de-eng.eng'))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='BitextRetrievalMetric')
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=1000, end=100000)]
train_cfg = dict(max_iters=100000, val_interval=10000)
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=10000))
