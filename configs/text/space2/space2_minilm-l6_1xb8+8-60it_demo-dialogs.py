# SPACE-2 on the generated multi-domain dialog corpus (tools/text/demo_space2.py writes it to data/space2_demo/ and
# compares this config with its self-supervised-only twin). The paper's loss settings (10 views, temperature 0.07,
# 0.1 x MLM, dropout 0.2, one labelled + one unlabelled batch per step, warm-up 10% then linear decay, clip 5) on the
# shipped all-MiniLM-L6-v2 (mean pooling, its own); the CPU budget sets the rest: 8 + 8 rows per step, 60 steps,
# the user turn alone (no context), 64 tokens, lr 5e-5 (1e-5 is for 60 epochs of 3M turns).
_base_ = './space2_bert-base_8xb16+16-60e_anpredial.py'
model_path = 'shipped:all-MiniLM-L6-v2'
max_length = 64
iters = 60
model = dict(encoder=dict(model_path=model_path, pooling='mean', max_length=max_length))
train_dataloader = dict(
    batch_size=8, batch_sampler=dict(unlabelled_batch_size=8), num_workers=0, persistent_workers=False,
    collate_fn=dict(model_path=model_path, max_length=max_length),
    dataset=dict(ann_file='data/space2_demo/pretrain.jsonl', context_turns=1))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, end_factor=1.0, by_epoch=False, begin=0, end=iters // 10),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=iters // 10, end=iters)]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=iters))
randomness = dict(seed=0)
