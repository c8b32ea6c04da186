"""The auxiliary score-map losses equal the reference's (raoyongming/DenseCLIP @5eda47f), values computed by hand.

Detection (``det/denseclip.py`` ``compute_seg_loss``/``build_seg_target``): box corners divided by 4, floored, clamped
to ``[0, W-1]``; the union mask expanded to K channels, so the BCE is a mean over (class, cell in a box).
Segmentation (``IdentityHead`` with mmseg 0.x's cross-entropy): mean over all pixels, ignored ones adding 0.
"""
import inspect
import math
from types import SimpleNamespace

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from dense_align.denseclip.detectors import _DenseCLIPDetector, box_filled_targets
from dense_align.denseclip.segmentor import DenseCLIPSegmentor


def softplus(z: float) -> float:
    return math.log1p(math.exp(z))


def two_box_sample() -> DetDataSample:
    """A 32x32 padded input (an 8x8 grid at stride 4) with two boxes of classes 0 and 2."""
    sample = DetDataSample(metainfo=dict(batch_input_shape=(32, 32)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[1.0, 2.0, 13.9, 10.5], [8.0, 6.0, 40.0, 31.0]]),
                                       labels=torch.tensor([0, 2]))
    return sample


def test_box_cells_are_floored_and_clamped_as_the_reference():
    targets, union = box_filled_targets([two_box_sample()], 3, (8, 8), 4)
    # box 1: (1, 2, 13.9, 10.5) / 4 -> floor (0, 0, 3, 2): rows 0:2, cols 0:3
    # box 2: (8, 6, 40, 31) / 4 -> floor (2, 1, 10, 7) -> clamp to 7: rows 1:7, cols 2:7 (last row/col left empty)
    want0 = torch.zeros(8, 8)
    want0[0:2, 0:3] = 1
    want2 = torch.zeros(8, 8)
    want2[1:7, 2:7] = 1
    assert torch.equal(targets[0, 0], want0) and torch.equal(targets[0, 2], want2) and targets[0, 1].sum() == 0
    assert torch.equal(union[0, 0], (want0 + want2).clamp(max=1)) and union.sum() == 35


def test_detection_aux_loss_is_the_per_class_mean_inside_the_boxes():
    tau = 0.07
    z = [1.0, -2.0, 0.5]  # constant logit per class (score * 1 / tau); upsampling keeps it constant
    scores = torch.tensor(z).view(1, 3, 1, 1) * tau
    loss = _DenseCLIPDetector.score_loss(SimpleNamespace(tau=tau), scores, [two_box_sample()])
    # union = 35 cells; class 0 positive on 6 of them, class 1 on none, class 2 on 30
    total = (6 * softplus(-z[0]) + 29 * softplus(z[0]) + 35 * softplus(z[1]) + 30 * softplus(-z[2]) +
             5 * softplus(z[2]))
    assert math.isclose(loss.item(), total / (3 * 35), rel_tol=1e-5)  # 0.60476
    assert math.isclose(loss.item(), 0.6047556, rel_tol=1e-5)


def seg_sample(labels: list) -> SegDataSample:
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.tensor(labels)[None])
    return sample


def test_segmentation_score_loss_averages_over_all_pixels_by_default():
    tau = 0.07
    scores = torch.tensor([1.0, -1.0]).view(1, 2, 1, 1) * tau  # logits (1, -1) everywhere
    sample = seg_sample([[0, 1], [255, 255]])  # two labelled pixels, two ignored

    def loss(avg_non_ignore: bool) -> float:
        owner = SimpleNamespace(tau=tau, score_loss_weight=0.4, score_loss_avg_non_ignore=avg_non_ignore,
                                decode_head=SimpleNamespace(ignore_index=255))
        return DenseCLIPSegmentor.score_loss(owner, scores, [sample])['score.loss_ce'].item()

    ce_label0, ce_label1 = math.log1p(math.exp(-2)), math.log1p(math.exp(2))
    assert math.isclose(loss(False), 0.4 * (ce_label0 + ce_label1) / 4, rel_tol=1e-5)  # reference: / all 4 pixels
    assert math.isclose(loss(True), 0.4 * (ce_label0 + ce_label1) / 2, rel_tol=1e-5)
    assert inspect.signature(DenseCLIPSegmentor).parameters['score_loss_avg_non_ignore'].default is False
