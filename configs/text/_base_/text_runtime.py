# Runtime of the text_align configs: the shared runtime in the text_align scope, iteration-based logging.
_base_ = '../../_base_/default_runtime.py'
default_scope = 'text_align'
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=1000, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
# DDP that runs a model's own train_step (SimCSE / DebCSE with GradCache); other models take mmengine's DDP path.
# No buffer broadcast, as mmengine's default wrapper (Contriever's 131072-key queue is a buffer, equal on all ranks)
model_wrapper_cfg = dict(type='OwnTrainStepDDP', broadcast_buffers=False)
