"""The released-layout LVIS Mask R-CNN config: its test settings are the export's (fvlm dito/configs/export_dito.gin,
configs/model.gin, modeling/task_heads.py); a tiny variant builds, loads a tiny converted released checkpoint with the
mask head, predicts masks, and its mask path (14 x 14 crops of the pyramid + DITOMaskHead) equals the numpy release."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.runner import load_checkpoint

import dense_align  # noqa: F401
from dense_align.dito.flax_keys import convert_dito_flax

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402
from released_tiny_config import CLASSES, tiny_released_model  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / 'configs/dito/dito-mask-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py'


def test_mask_settings_are_the_exported_ones():
    cfg = Config.fromfile(str(CONFIG))
    head = cfg.model.roi_head
    assert cfg.model.type == 'DITOMaskRCNN' and head.type == 'DITORoIHead'
    assert head.mask_roi_extractor.roi_layer == dict(type='RoIAlign', output_size=14, sampling_ratio=1, aligned=False)
    assert head.mask_roi_extractor.roi_layer == dict(head.bbox_roi_extractor.roi_layer, output_size=14)
    mask = head.mask_head
    assert (mask.norm_eps, mask.normalized_convs, mask.norm_temperature) == (1e-6, True, 20.0)
    assert (mask.num_convs, mask.conv_out_channels, mask.num_classes, mask.class_agnostic) == (4, 256, 1, True)
    rcnn = cfg.model.test_cfg.rcnn
    assert (rcnn.score_thr, rcnn.nms.iou_threshold, rcnn.mask_thr_binary) == (0.0, 0.5, 0.5)
    assert rcnn.max_per_img == 300  # LVIS evaluation; the export itself returns 100 (README)
    assert cfg.model.test_cfg.rpn.nms.iou_threshold == 1.0 and head.objectness_weight == 3.0
    assert cfg.model.vlm.box_scale == 0.7 and cfg.val_evaluator.metric == ['bbox', 'segm']
    assert cfg.test_dataloader.dataset.pipeline[3] == dict(type='LoadAnnotations', with_bbox=True, with_mask=True)


def tiny_model(vocabulary: str):
    """The config at the tiny released tree's sizes."""
    return tiny_released_model(str(CONFIG), vocabulary)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('released_mask')
    flat = rel.detector_tree(4, mask=True)
    state, notes = convert_dito_flax(flat, text_dim=rel.TEXT)
    torch.save(dict(state_dict=state, meta=dict(dito_flax=notes)), root / 'dito_tiny.pth')
    vocab = np.random.default_rng(0).standard_normal((len(CLASSES) + 1, rel.TEXT)).astype(np.float32)
    np.save(root / 'vocab.npy', vocab)
    return root, flat


def test_tiny_config_loads_the_mask_head_predicts_masks_and_equals_the_release(converted):
    root, flat = converted
    model = tiny_model(str(root / 'vocab.npy'))
    ckpt = load_checkpoint(model, str(root / 'dito_tiny.pth'), map_location='cpu', strict=False, logger='silent')
    ours, loaded = set(model.state_dict()), set(ckpt['state_dict'])
    assert loaded <= ours and {k for k in loaded if k.startswith('roi_head.mask_head.')} == {
        k for k in ours if k.startswith('roi_head.mask_head.')}
    assert ours - loaded == {k for k in ours if k.startswith('text_encoder.')} | {
        'roi_head.bbox_head.background_embed'}
    image = torch.randn(1, 3, 64, 64)
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0),
                                         pad_shape=(64, 64), batch_input_shape=(64, 64)))
    with torch.no_grad():
        pred = model.predict(image, [sample])[0].pred_instances
    assert 0 < len(pred) <= 20 and pred.masks.shape == (len(pred), 64, 64) and pred.masks.dtype == torch.bool
    for box, mask in zip(pred.bboxes, pred.masks):  # pasted inside the box
        ys, xs = torch.nonzero(mask, as_tuple=True)
        if len(ys):
            assert xs.min() >= box[0].floor() - 1 and xs.max() <= box[2].ceil() and ys.min() >= box[1].floor() - 1
    # mask path of the config vs the release on boxes of >= 1 feature pixel (level 2 at 64 px)
    with torch.no_grad():
        feats = model.extract_feat(image)
        centre = np.random.default_rng(12).uniform(16, 48, (6, 2))
        half = np.random.default_rng(13).uniform(3, 16, (6, 2))
        boxes = np.concatenate([centre - half, centre + half], 1)
        rois = torch.cat([torch.zeros(6, 1), torch.from_numpy(boxes).float()], 1)
        logits = model.roi_head._mask_forward(feats, rois)['mask_preds'][:, 0].numpy()
    pyramid = [f[0].numpy().transpose(1, 2, 0).astype(np.float64) for f in feats]
    crops = rel.multilevel_crop_and_resize(pyramid, boxes, rel.MASK_ROI)
    expected = rel.maskrcnn_head(crops, rel.sub(flat, 'optimizer/target/task_heads_0/maskrcnn_head_fn/'))
    assert logits.shape == (6, 28, 28)
    np.testing.assert_allclose(logits, expected, rtol=0, atol=2e-4)  # float32 model
    assert np.abs(expected).max() > 1.0


def test_box_and_frozen_vlm_crops_read_the_models_own_maps(converted):
    """The pyramid levels (LayerNorm permutes, a strided level 5) and the frozen ViT's map are channels-last views;
    mmcv's roi_align reads storage as contiguous NCHW, so both are made contiguous (both crops were wrong before)."""
    root, _ = converted
    model = tiny_model(str(root / 'vocab.npy'))
    load_checkpoint(model, str(root / 'dito_tiny.pth'), map_location='cpu', strict=False, logger='silent')
    image = torch.randn(1, 3, 64, 64)
    boxes = np.array([[4.0, 6.0, 40.0, 30.0], [20.0, 10.0, 60.0, 62.0], [0.0, 0.0, 64.0, 64.0]])
    rois = torch.cat([torch.zeros(3, 1), torch.from_numpy(boxes).float()], 1)
    text = np.random.default_rng(14).standard_normal((4, rel.TEXT))
    with torch.no_grad():
        feats = model.extract_feat(image)
        crops = model.roi_head.bbox_roi_extractor(feats, rois).numpy().transpose(0, 2, 3, 1)
        top = model.vlm.top_map(image)
        vlm = model.vlm.region_logits(top, rois, torch.from_numpy(text).float()).numpy()
    pyramid = [f[0].numpy().transpose(1, 2, 0).astype(np.float64) for f in feats]
    np.testing.assert_allclose(crops, rel.multilevel_crop_and_resize(pyramid, boxes, 7), rtol=0, atol=1e-5)
    mid, half = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) * 0.35
    region = rel.multilevel_crop_and_resize([top[0].numpy().transpose(1, 2, 0).astype(np.float64)], np.concatenate(
        [mid - half, mid + half], 1), 14, min_level=4).mean(axis=(1, 2))
    region /= np.linalg.norm(region, axis=1, keepdims=True)
    expected = region @ (text / np.linalg.norm(text, axis=1, keepdims=True)).T / 0.01
    np.testing.assert_allclose(vlm, expected, rtol=0, atol=1e-3)  # float32 cosine / 0.01
