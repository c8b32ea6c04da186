_base_ = [
    '../_base_/models/denseclip_rn50_fpn.py', 'mmseg::_base_/datasets/ade20k.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/denseclip_adamw-poly_80k.py'
]
# Paper (DenseCLIP README, ADE20K val, 80k iterations, batch 32): RN50-DenseCLIP 43.5 mIoU single-scale,
# 44.7 multi-scale; 269.2 GFLOPs, 50.3 M params. Batch 4 per GPU x 8 GPUs.
train_dataloader = dict(batch_size=4)
