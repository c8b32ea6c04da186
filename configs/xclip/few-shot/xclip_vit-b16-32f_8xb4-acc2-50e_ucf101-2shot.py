# 2-shot X-CLIP on UCF101. Paper top-1: 76.4. Not trained here (needs GPUs and UCF101).
_base_ = './xclip_vit-b16-32f_8xb4-acc2-50e_ucf101-fewshot-base.py'
train_dataloader = dict(dataset=dict(ann_file='train_k2.txt'))
