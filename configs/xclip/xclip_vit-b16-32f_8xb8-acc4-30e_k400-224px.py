# X-CLIP ViT-B/16, 32 frames, Kinetics-400. The paper trains this model on the Kinetics-400 class names for
# its zero-shot results (zero-shot/*); no fully supervised number is reported at 32 frames. Not trained here.
_base_ = './xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py'
num_frames = 32
model = dict(num_frames=num_frames, visual=dict(with_cp=True))
train_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames),
    dict(type='VideoResize', short_side=256),
    dict(type='VideoMultiScaleCrop', size=224, scales=(1, 0.875, 0.75, 0.66)),
    dict(type='VideoFlip', prob=0.5),
    dict(type='VideoColorJitter', prob=0.8, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, gray_prob=0.2),
    dict(type='PackVideoInputs'),
]
val_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoResize', short_side=256),
    dict(type='VideoCenterCrop', size=224),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='SampleVideoFrames', num_frames=num_frames, num_clips=4, test_mode=True),
    dict(type='VideoResize', short_side=224),
    dict(type='VideoCenterCrop', size=224, three_crop=True),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
