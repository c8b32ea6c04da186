# Zero-shot X-CLIP on Kinetics-600 (the 220 classes not in Kinetics-400, split of 160): the ViT-B/16 32-frame
# model trained on the Kinetics-400 class names, tested on this dataset's class names without any training on it
# (the class list of the model and of the test set is swapped at test time).
# Paper top-1: 65.2. Not run here (needs the K400-trained model and the data).
#   python tools/test.py configs/xclip/zero-shot/xclip_vit-b16-32f_k400-pretrained_zero-shot-k600.py \
#       work_dirs/xclip_vit-b16-32f_8xb8-acc4-30e_k400-224px/best_video_top1.pth
_base_ = '../xclip_vit-b16-32f_8xb8-acc4-30e_k400-224px.py'
data_root = 'data/k600/'
model = dict(class_names=data_root + 'k600_novel_split1_labels.csv')
test_dataloader = dict(dataset=dict(data_root=data_root, ann_file='k600_novel_split1.txt',
                                    class_file='k600_novel_split1_labels.csv',
                                    data_prefix=dict(video='videos'), pipeline={{_base_.val_pipeline}}))
