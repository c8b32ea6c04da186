"""PixPro building blocks: positive-pair masks, pixel propagation, the losses and the momentum schedule."""
import math

import pytest
import torch
import torch.nn.functional as F

from dense_align.pixpro import (PixelPropagation, cosine_momentum, pixcontrast_loss, positive_pair_mask,
                                propagation_consistency_loss)

FULL = torch.tensor([[0.0, 0.0, 1.0, 1.0]])


def test_identical_crops_give_the_identity():
    box = torch.tensor([[0.1, 0.2, 0.7, 0.8]])  # square bins: neighbours are 0.707 bin diagonals apart
    mask = positive_pair_mask(box, box, (7, 7), (7, 7))
    assert torch.equal(mask[0], torch.eye(49, dtype=torch.bool))


def test_flipped_view_gives_the_mirror_permutation():
    box = torch.tensor([[0.1, 0.2, 0.7, 0.8]])  # square bins: neighbours are 0.707 bin diagonals apart
    flipped = box[:, [2, 1, 0, 3]]  # a horizontal flip swaps x1 and x2
    mask = positive_pair_mask(box, flipped, (7, 7), (7, 7))[0]
    mirror = torch.zeros(49, 49, dtype=torch.bool)
    for r in range(7):
        for c in range(7):
            mirror[r * 7 + c, r * 7 + (6 - c)] = True
    assert torch.equal(mask, mirror)


def test_disjoint_crops_give_an_empty_mask():
    mask = positive_pair_mask(torch.tensor([[0.0, 0.0, 0.4, 0.4]]), torch.tensor([[0.6, 0.6, 1.0, 1.0]]), (7, 7),
                              (7, 7))
    assert not mask.any()


def test_partial_overlap_matches_the_hand_computed_case():
    # query: the whole image, 2x2 cells (centres at .25/.75, bin diagonal .707); key: its top-left quarter, 2x2 cells
    # (centres at .125/.375). Positives are pairs closer than 0.7 x 0.707 = 0.495.
    mask = positive_pair_mask(FULL, torch.tensor([[0.0, 0.0, 0.5, 0.5]]), (2, 2), (2, 2))[0]
    assert mask.int().tolist() == [[1, 1, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0]]


def test_propagation_loss_is_minus_four_when_prediction_equals_target_and_bounded():
    torch.manual_seed(0)
    feats = F.normalize(torch.randn(3, 16, 7, 7), dim=1)
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.1, 0.1, 0.6, 0.6], [0.2, 0.0, 0.9, 0.7]])
    mask = positive_pair_mask(boxes, boxes, (7, 7), (7, 7))
    both = propagation_consistency_loss(feats, feats, mask) + propagation_consistency_loss(feats, feats, mask)
    assert both.item() == pytest.approx(-4.0, abs=1e-4)
    other = F.normalize(torch.randn(3, 16, 7, 7), dim=1)
    for a, b in ((feats, other), (feats, -feats)):
        value = (propagation_consistency_loss(a, b, mask) + propagation_consistency_loss(b, a, mask)).item()
        assert -4.0 - 1e-4 <= value <= 4.0 + 1e-4
    assert (propagation_consistency_loss(feats, -feats, mask) * 2).item() == pytest.approx(4.0, abs=1e-4)


def test_images_without_overlap_contribute_nothing_and_no_nan():
    feats = F.normalize(torch.randn(1, 8, 7, 7, requires_grad=True), dim=1)
    mask = torch.zeros(1, 49, 49, dtype=torch.bool)
    assert propagation_consistency_loss(feats, feats, mask).item() == 0.0
    loss = pixcontrast_loss(feats, feats.detach(), mask)
    assert loss.item() == 0.0 and not torch.isnan(loss)
    loss.backward()


def test_pixcontrast_prefers_aligned_pixels():
    torch.manual_seed(0)
    feats = torch.randn(2, 8, 4, 4)
    mask = positive_pair_mask(FULL.repeat(2, 1), FULL.repeat(2, 1), (4, 4), (4, 4))
    aligned = pixcontrast_loss(feats, feats, mask, temperature=0.1)
    shuffled = pixcontrast_loss(feats, feats[:, :, torch.randperm(4)], mask, temperature=0.1)
    assert aligned < shuffled


def test_pixel_propagation_is_a_batched_weighted_sum():
    torch.manual_seed(0)
    ppm = PixelPropagation(8, transform_layers=0, gamma=2)
    x = torch.randn(2, 8, 3, 3)
    out = ppm(x)
    unit = F.normalize(x[0].flatten(1), dim=0)  # C, HW
    sim = (unit.t() @ unit).clamp(min=0) ** 2
    want = F.normalize(unit @ sim.t(), dim=0)
    assert torch.allclose(out[0].flatten(1), want, atol=1e-5)
    for layers in (1, 2):
        assert PixelPropagation(8, transform_layers=layers)(x).shape == x.shape
    with pytest.raises(ValueError, match='transform_layers'):
        PixelPropagation(8, transform_layers=3)


def test_momentum_schedule():
    assert cosine_momentum(0, 100) == pytest.approx(0.99)
    assert cosine_momentum(100, 100) == pytest.approx(1.0)
    assert cosine_momentum(50, 100) == pytest.approx(0.995)
    assert cosine_momentum(25, 100) == pytest.approx(1 - 0.01 * (math.cos(math.pi / 4) + 1) / 2)
    values = [cosine_momentum(s, 100) for s in range(101)]
    assert all(a <= b for a, b in zip(values, values[1:]))
