"""DITO's test-time fusion pinned on hand-computed values (released ClipFasterRCNNHead.ensemble_class_outputs)."""
import math

import torch

from dense_align.dito.vlm_fusion import fuse_vlm_scores, scores_for_softmax
from dense_align.dito.vlm_scorer import scale_rois


def test_fusion_matches_hand_computed_values():
    # K = 2 classes (class 0 base, class 1 novel), background last
    det = torch.tensor([[0.5, 0.3, 0.2]]).log()
    vlm = torch.tensor([[0.2, 0.6, 0.2]]).log()
    fused = fuse_vlm_scores(det, vlm, torch.tensor([False, True]), 0.35, 0.65)
    base = 0.5**0.65 * 0.2**0.35  # p_det^(1 - 0.35) * p_vlm^0.35
    novel = 0.3**0.35 * 0.6**0.65  # p_det^(1 - 0.65) * p_vlm^0.65
    background = 0.2  # the detector's, not the VLM's
    total = base + novel + background
    expected = torch.tensor([[base / total, novel / total, background / total]])
    torch.testing.assert_close(fused, expected, rtol=1e-6, atol=1e-7)
    assert math.isclose(fused.sum().item(), 1.0, rel_tol=1e-6)


def test_fusion_weight_zero_is_the_detector_and_vlm_softmax_includes_background():
    det, vlm = torch.randn(5, 4), torch.randn(5, 4)
    torch.testing.assert_close(fuse_vlm_scores(det, vlm, torch.zeros(3, dtype=torch.bool), 0.0, 0.0),
                               det.softmax(-1))
    # w = 1: classes from the VLM softmax over all K + 1 columns, background from the detector, renormalised
    fused = fuse_vlm_scores(det, vlm, torch.ones(3, dtype=torch.bool), 0.0, 1.0)
    raw = torch.cat([vlm.softmax(-1)[:, :3], det.softmax(-1)[:, 3:]], dim=1)
    torch.testing.assert_close(fused, raw / raw.sum(1, keepdim=True))


def test_scores_for_softmax_round_trip_with_objectness():
    probs = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    objectness = torch.tensor([0.5, 1.0])
    back = scores_for_softmax(probs, objectness, 3.0).softmax(-1)
    torch.testing.assert_close(back[:, :2], torch.tensor([[0.5 * 0.125, 0.3 * 0.125], [0.1, 0.1]]))
    torch.testing.assert_close(scores_for_softmax(probs).softmax(-1), probs)


def test_scale_rois_about_centre():
    rois = torch.tensor([[1.0, 10.0, 20.0, 30.0, 60.0]])  # centre (20, 40), size 20 x 40
    torch.testing.assert_close(scale_rois(rois, 0.7), torch.tensor([[1.0, 13.0, 26.0, 27.0, 54.0]]))
