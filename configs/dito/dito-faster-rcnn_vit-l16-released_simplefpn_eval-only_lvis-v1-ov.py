_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', 'mmdet::_base_/default_runtime.py', './_base_/lvis_v1_ov.py']
# Evaluating a released DITO ViT-L/16 detector (google-research fvlm/dito, JAX/Flax) in our code, with every
# module in the released layout (fvlm @ 8d8a4f1; gin: dito/configs/dito_train_and_eval.gin + configs/model.gin):
# ViT without class token / ln_pre, LayerNorm eps 1e-6, tanh GELU, windows of 16 patches (4 x 4 windows at
# 1024 px) and global attention in blocks 6/12/18/24, the shifted second pass (ATTENTION_SHIFT_SIZE 8); SimpleFpnV2
# (levels 2-5); the LayerNorm RPN (2 convs, one anchor of 8 x stride, l/r/t/b boxes); the Fast R-CNN head with
# 4 convs + 1 FC and their LayerNorms, logits = cosine / (TEMP 0.01 x learned temperature); the frozen ViT (windows
# in every block but the last) fused with weights 0.35 / 0.65 and objectness ** 3.
# Weights: tools/model_converters/dito_flax_to_mmengine.py (see configs/dito/README.md, "Released weights");
# vocabulary: the release's lvis_embed.npy (background row first). Test only: the released training targets of the
# RPN (centerness, IoU loss) are not implemented. Boxes only (the train/eval gin has INCLUDE_MASK = False); the
# released LVIS model has a mask head: dito-mask-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py. Not run here.
custom_imports = dict(imports=['dense_align'], allow_failed_imports=False)
image_size = (1024, 1024)  # OUTPUT_SIZE
width = 1024
text_dim = 1024  # TEXT_DIM (ViT-L/16: equal to the width, so proj is the identity)
load_from = 'checkpoints/dito_vit-l16_released.pth'  # converter output
vocabulary = 'checkpoints/lvis_embed.npy'  # fvlm/dito/embeddings (1204 x 1024: background + 1203 LVIS classes)
vit_arch = dict(patch_size=16, width=width, layers=24, heads=16, output_dim=text_dim, image_size=224)
released_vit = dict(type='CLIPViT', arch=vit_arch, out_indices=(23, ), class_token=False, pre_norm=False,
                    ln_eps=1e-6, act='gelu_tanh', patch_bias=True, norm_maps=True, pos_interpolation='bilinear',
                    window_size=16)  # window_attention_size 4 windows per side of the 64 x 64 grid
model = dict(
    type='DITOFasterRCNN',
    data_preprocessor=dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True,
                           pad_size_divisor=32),
    backbone=dict(_delete_=True, **released_vit, global_attn_indexes=(5, 11, 17, 23), shifted_pass=True,
                  shift_size=8),
    neck=dict(_delete_=True, type='DITOSimpleFPN', in_channels=width, out_channels=256, in_level=4, min_level=2,
              max_level=5),
    rpn_head=dict(_delete_=True, type='DITOCenternessRPNHead', in_channels=256, feat_channels=256, num_levels=4,
                  num_convs=2,
                  anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[1.0], strides=[4, 8, 16, 32],
                                        center_offset=0.5),
                  bbox_coder=dict(type='LRTBBoxCoder'),
                  loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                  loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='DITORoIHead', base_vlm_weight=0.35, novel_vlm_weight=0.65, objectness_weight=3.0,
        vocabulary_embeddings=vocabulary,
        # multilevel_crop_and_resize: one bilinear sample at each bin centre, pixel j at coordinate j; level rule
        # floor(log2(sqrt(wh) / 224)) + 4 = mmdet's finest_scale 56
        bbox_roi_extractor=dict(roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=1, aligned=False),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(_delete_=True, type='DITOTextBBoxHead', text_dim=text_dim, temperature=0.01,
                       learned_temperature=True, norm_eps=1e-6, num_shared_convs=4, num_shared_fcs=1,
                       in_channels=256, conv_out_channels=256, fc_out_channels=1024, roi_feat_size=7,
                       num_classes=866,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),  # box_weights (10, 10, 5, 5)
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                     class_weight=[1.0] * 866 + [0.9]),  # frcnn_background_weight
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=768, layers=12, heads=12, output_dim=text_dim),
                      context_length=77),  # unused for scoring when vocabulary_embeddings is set
    templates=('a photo of a {}.', ),
    vlm=dict(backbone=dict(**released_vit, global_attn_indexes=(23, )), roi_size=14, box_scale=0.7,
             temperature=0.01, sampling_ratio=1, aligned=False),
    # roi_output_size 14, roi_scale_factor 0.7, clip_sim_temp 0.01; crops sampled once per bin centre as released
    test_cfg=dict(
        # multilevel_propose_rois: 2000 per level before NMS, NMS 1.0 at test (obj_rpn_nms_threshold_test), 1000 kept
        rpn=dict(nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=1.0), min_bbox_size=-1),
        # process_and_generate_detections: per-class NMS 0.5, score_threshold 0, 300 detections
        rcnn=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5), max_per_img=300)))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    # the release pads the normalised image with 0: pad with the mean pixel (BGR), ~0 after normalisation
    dict(type='Pad', size=image_size, pad_val=dict(img=(104, 117, 123))),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric=['bbox'])
test_evaluator = val_evaluator
custom_hooks = [dict(type='dense_align.OpenVocabularyHook')]
