_base_ = ['./dito-faster-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py']
# The released DITO LVIS detector with its mask head, as exported (google-research fvlm
# dito/configs/export_dito.gin @ 83282e4: INCLUDE_MASK = True; MaskrcnnHead.use_batch_norm = False,
# use_norm_activation = True; configs/model.gin: MaskrcnnHead.num_classes = 1, use_class_agnostic = True;
# modeling/task_heads.py: mask RoIs = the final detections, multilevel_crop_and_resize to 14 x 14 on the pyramid,
# detection_masks = sigmoid of the 28 x 28 logits). Everything else is the box config (see its header).
# Weights: tools/model_converters/dito_flax_to_mmengine.py converts maskrcnn_head_fn too (configs/dito/README.md,
# "Released weights"). The paper's LVIS number is mask AP_r (v1: 40.4). Test only; not run here.
model = dict(
    type='DITOMaskRCNN',
    roi_head=dict(
        # the same crop as the box head, at 14 x 14: one bilinear sample per bin centre, level from the box size
        mask_roi_extractor=dict(type='SingleRoIExtractor',
                                roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=1, aligned=False),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        # 4 x (NormalizedConv 3x3, LN, ReLU), deconv 2x2/2, LN, ReLU, NormalizedConv 1x1 -> one class-agnostic mask
        mask_head=dict(type='DITOMaskHead', norm_eps=1e-6, normalized_convs=True, norm_temperature=20.0,
                       num_convs=4, in_channels=256, conv_out_channels=256, num_classes=1, class_agnostic=True)),
    train_cfg=dict(rcnn=dict(mask_size=28)),  # MaskrcnnHead.mask_target_size
    # the release pastes the sigmoid mask into the image and keeps pixels > 0.5 (utils/mask_utils.py)
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 1024), keep_ratio=True),
    dict(type='Pad', size=(1024, 1024), pad_val=dict(img=(104, 117, 123))),  # ~0 after normalisation, as released
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric=['bbox', 'segm'])  # mask AP_r: the paper's LVIS metric
test_evaluator = val_evaluator
