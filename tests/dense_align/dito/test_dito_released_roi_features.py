"""The released config's RoI features (mmdet SingleRoIExtractor + mmcv RoIAlign with ``sampling_ratio=1,
aligned=False``) equal the released ``multilevel_crop_and_resize`` (level rule and bin-centre bilinear sampling) on
proposals clipped to the image, as the released RPN produces them."""
import sys
from pathlib import Path

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

import dense_align  # noqa: F401

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / 'configs/dito/dito-faster-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py'


def test_box_head_roi_features_equal_the_released_crop_and_resize():
    extractor_cfg = Config.fromfile(str(CONFIG)).model.roi_head.bbox_roi_extractor
    extractor_cfg.out_channels = 8
    extractor = MODELS.build(extractor_cfg)
    rng = np.random.default_rng(10)
    size = 1024  # image side; levels 2..5 -> 256, 128, 64, 32
    feats = [rng.standard_normal((1, 8, size // 2 ** level, size // 2 ** level)) for level in range(2, 6)]
    centre = rng.uniform(0, size, (200, 2))
    half = np.exp(rng.uniform(np.log(4), np.log(700), (200, 2)))
    boxes = np.clip(np.concatenate([centre - half, centre + half], 1), 0, size)  # clipped, as released proposals
    wh = boxes[:, 2:] - boxes[:, :2]
    levels = np.clip(np.floor(np.log2(np.sqrt(wh.prod(1)) / 224)) + 4, 2, 5)
    keep = wh.min(1) >= 2 ** levels  # at least one feature pixel per side (mmcv's aligned=False floors at 1)
    boxes, levels = boxes[keep], levels[keep]
    rois = torch.cat([torch.zeros(len(boxes), 1, dtype=torch.float64), torch.from_numpy(boxes)], 1)
    with torch.no_grad():
        ours = extractor(tuple(torch.from_numpy(f) for f in feats), rois).numpy()  # float64
    ref = rel.multilevel_crop_and_resize([f[0].transpose(1, 2, 0) for f in feats], boxes, 7, min_level=2)
    assert len(boxes) > 50 and len(set(levels)) == 4  # every level is exercised
    np.testing.assert_allclose(ours.transpose(0, 2, 3, 1), ref, rtol=0, atol=1e-9)


def test_frozen_vit_region_logits_equal_the_released_crop_pool_and_cosine():
    """``FrozenVLMScorer`` with the released config's RoIAlign options: boxes x0.7 about their centres, 14 x 14 crops
    of the top map sampled once per bin centre, averaged, cosine / 0.01 (``ClipFasterRCNNHead`` at test time)."""
    from dense_align.dito import FrozenVLMScorer
    vlm = Config.fromfile(str(CONFIG)).model.vlm
    tiny_vit = dict(type='CLIPViT', arch=dict(patch_size=16, width=32, layers=1, heads=2, output_dim=8, image_size=64),
                    out_indices=(0, ))
    scorer = FrozenVLMScorer(**dict(vlm, backbone=tiny_vit))
    rng = np.random.default_rng(11)
    top = rng.standard_normal((1, 8, 64, 64))  # a 1024 px image at stride 16
    text = rng.standard_normal((5, 8))
    centre = rng.uniform(100, 900, (40, 2))
    half = rng.uniform(40, 120, (40, 2))
    boxes = np.concatenate([centre - half, centre + half], 1)
    rois = torch.cat([torch.zeros(len(boxes), 1, dtype=torch.float64), torch.from_numpy(boxes)], 1)
    ours = scorer.region_logits(torch.from_numpy(top), rois, torch.from_numpy(text)).numpy()
    mid, half_scaled = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) * 0.35
    crops = rel.multilevel_crop_and_resize([top[0].transpose(1, 2, 0)], np.concatenate(
        [mid - half_scaled, mid + half_scaled], 1), 14, min_level=4)  # stride 16 = level 4, the only level
    region = crops.mean(axis=(1, 2))
    region /= np.linalg.norm(region, axis=1, keepdims=True)
    ref = region @ (text / np.linalg.norm(text, axis=1, keepdims=True)).T / 0.01
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-7)
