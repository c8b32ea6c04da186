# Zero-shot X-CLIP on UCF-101: the ViT-B/16 32-frame model trained on the Kinetics-400 class names, tested on
# this dataset's class names without any training on it (the class list is swapped at test time).
# Paper top-1: 72.0 (+-2.3 over 3 splits). Not run here (needs the K400-trained model and the data).
#   python tools/test.py configs/xclip/zero-shot/xclip_vit-b16-32f_k400-pretrained_zero-shot-ucf101.py \
#       work_dirs/xclip_vit-b16-32f_8xb8-acc4-30e_k400-224px/best_video_top1.pth
_base_ = '../xclip_vit-b16-32f_8xb8-acc4-30e_k400-224px.py'
data_root = 'data/ucf101/'
model = dict(class_names=data_root + 'ucf101_labels.csv')
test_dataloader = dict(dataset=dict(data_root=data_root, ann_file='val_split1.txt', class_file='ucf101_labels.csv',
                                    data_prefix=dict(video='videos'), pipeline={{_base_.val_pipeline}}))
