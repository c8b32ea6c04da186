# Few-shot X-CLIP on UCF101 (split 1): ViT-B/16, 32 frames, trained from CLIP on K samples per class, the paper's
# few-shot recipe (VideoX configs/hmdb51|ucf101/*_few_shot): lr 2e-6, 50 epochs, batch 4 x 2 accumulation per GPU,
# 1 clip x 1 crop at test. The K-shot leaves set the training list. Data: data/ucf101/videos/..., ucf101_labels.csv.
_base_ = '../xclip_vit-b16-32f_8xb8-acc4-30e_k400-224px.py'
data_root = 'data/ucf101/'
num_classes = 101
model = dict(class_names=data_root + 'ucf101_labels.csv',
             data_preprocessor=dict(blending=dict(num_classes=num_classes)))
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, ann_file='train_k16.txt',
                                                   class_file='ucf101_labels.csv', data_prefix=dict(video='videos')))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='val_split1.txt', class_file='ucf101_labels.csv',
                                   data_prefix=dict(video='videos')))
test_dataloader = dict(dataset=dict(data_root=data_root, ann_file='val_split1.txt', class_file='ucf101_labels.csv',
                                    data_prefix=dict(video='videos'), pipeline={{_base_.val_pipeline}}))
optim_wrapper = dict(accumulative_counts=2, optimizer=dict(lr=2e-6))
max_epochs = 50
param_scheduler = [
    dict(type='TimmCosineLR', by_epoch=True, convert_to_iter_based=True, t_initial=max_epochs, warmup_t=5,
         lr_min=2e-6 / 100, warmup_lr_init=0.0, step_lag=2),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
