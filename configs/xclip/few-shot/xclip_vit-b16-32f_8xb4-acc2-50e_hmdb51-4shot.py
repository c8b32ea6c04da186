# 4-shot X-CLIP on HMDB51. Paper top-1: 57.3. Not trained here (needs GPUs and HMDB51).
_base_ = './xclip_vit-b16-32f_8xb4-acc2-50e_hmdb51-fewshot-base.py'
train_dataloader = dict(dataset=dict(ann_file='train_k4.txt'))
