# Open-vocabulary LVIS v1: train on the frequent + common categories' annotations (866 base; the rare ones removed
# from the training file, e.g. ViLD / Detic's lvis_v1_train_norare.json), test on all 1203; mask AP_r is the
# headline number. Novel = rare, read from the annotation file's `frequency` fields by OpenVocabularyHook.
dataset_type = 'LVISV1Dataset'
data_root = 'data/lvis_v1/'
train_dataloader = dict(
    batch_size=32, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=dict(novel_frequency='r'),
                 ann_file='annotations/lvis_v1_train_norare.json', data_prefix=dict(img=''),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32)))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=dict(novel_frequency='r'),
                 ann_file='annotations/lvis_v1_val.json', data_prefix=dict(img=''), test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='OpenVocabLVISMetric', ann_file=data_root + 'annotations/lvis_v1_val.json',
                     metric=['bbox', 'segm'])
test_evaluator = val_evaluator
