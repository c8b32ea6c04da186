# Embedded demo data (tools/data/generate_demo_shapes.py) as an mmseg semantic-segmentation dataset.
# Read by mmseg's own BaseSegDataset and IoUMetric; classes and palette match dense_align.datasets.demo_shapes.
dataset_type = 'BaseSegDataset'
data_root = 'data/demo_shapes'
crop_size = (64, 64)
metainfo = dict(
    classes=('background', 'red circle', 'green triangle', 'blue square', 'yellow star', 'striped square',
             'dotted circle'),
    palette=[[0, 0, 0], [220, 40, 40], [40, 180, 60], [40, 80, 220], [240, 210, 40], [160, 160, 160],
             [200, 120, 200]])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# test-time augmentation (tools/test.py --tta): two scales x flip, merged by mmseg's SegTTAModel
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True) for r in (1.0, 1.5)],
                     [dict(type='RandomFlip', prob=0., direction='horizontal'),
                      dict(type='RandomFlip', prob=1., direction='horizontal')],
                     [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]]),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(img_path='images/train', seg_map_path='seg_masks/train'),
        img_suffix='.png',
        seg_map_suffix='.png',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(img_path='images/val', seg_map_path='seg_masks/val'),
        img_suffix='.png',
        seg_map_suffix='.png',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
