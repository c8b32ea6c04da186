"""PixPro building blocks: positive-pair masks, pixel propagation, the losses and the momentum schedule."""
import math

import pytest
import torch
import torch.nn.functional as F

from dense_align.pixpro import (PixelPropagation, cosine_momentum, pixcontrast_loss, pixcontrast_per_image,
                                positive_pair_mask, propagation_consistency_loss)

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
    loss = pixcontrast_loss(feats, feats.detach(), feats, feats.detach(), mask)
    assert loss.item() == 0.0 and not torch.isnan(loss)
    loss.backward()


def test_pixcontrast_prefers_aligned_pixels():
    torch.manual_seed(0)
    feats = torch.randn(2, 8, 4, 4)
    mask = positive_pair_mask(FULL.repeat(2, 1), FULL.repeat(2, 1), (4, 4), (4, 4))
    aligned = pixcontrast_loss(feats, feats, feats, feats, mask, temperature=0.1)
    shuffled = feats[:, :, torch.randperm(4)]
    assert aligned < pixcontrast_loss(feats, shuffled, feats, shuffled, mask, temperature=0.1)


def reference_pixcontrast(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor, t: float) -> list:
    """Paper Eq. 2 written out per image: mean over the query pixels with a positive of
    -log(sum_pos e^(cos/t) / sum_all e^(cos/t)); None for an image without any."""
    out = []
    for n in range(q.shape[0]):
        qn, kn = F.normalize(q[n].flatten(1), dim=0), F.normalize(k[n].flatten(1), dim=0)
        terms = []
        for i in range(qn.shape[1]):
            if mask[n, i].any():
                e = torch.exp(qn[:, i] @ kn / t)
                terms.append(-math.log(float(e[mask[n, i]].sum() / e.sum())))
        out.append(sum(terms) / len(terms) if terms else None)
    return out


def test_pixcontrast_averages_per_image_then_over_overlapping_pairs_and_directions():
    torch.manual_seed(0)
    q1, k2, q2, k1 = (torch.randn(3, 8, 3, 3) for _ in range(4))
    boxes_1 = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.3, 0.3]])
    boxes_2 = torch.tensor([[0.6, 0.6, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.7, 0.7, 1.0, 1.0]])
    mask_12 = positive_pair_mask(boxes_1, boxes_2, (3, 3), (3, 3))
    rows = mask_12.any(dim=2).sum(dim=1).tolist()
    assert rows[0] != rows[1] and rows[2] == 0  # unequal pixel counts, one pair without overlap
    one = reference_pixcontrast(q1, k2, mask_12, 0.3)
    two = reference_pixcontrast(q2, k1, mask_12.transpose(1, 2), 0.3)
    want = ((one[0] + two[0]) / 2 + (one[1] + two[1]) / 2) / 2
    assert pixcontrast_loss(q1, k2, q2, k1, mask_12, 0.3).item() == pytest.approx(want, rel=1e-5)
    per_image = pixcontrast_per_image(q1, k2, mask_12, 0.3)
    assert per_image.tolist() == pytest.approx([one[0], one[1], 0.0], rel=1e-5)


def test_pixcontrast_gradients_stay_finite_when_some_pixels_have_no_positive():
    q = torch.randn(1, 8, 3, 3, requires_grad=True)
    mask = positive_pair_mask(torch.tensor([[0.0, 0.0, 1.0, 1.0]]), torch.tensor([[0.5, 0.5, 1.0, 1.0]]), (3, 3),
                              (3, 3))
    assert 0 < mask.any(dim=2).sum() < 9
    pixcontrast_loss(q, torch.randn(1, 8, 3, 3), q, torch.randn(1, 8, 3, 3), mask).backward()
    assert torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0


def test_gamma_below_one_gives_the_references_finite_propagation():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 3, 3, requires_grad=True)  # random features: some cosines are negative, clamped to 0
    ppm = PixelPropagation(8, transform_layers=0, gamma=0.5)
    out = ppm(x)
    unit = F.normalize(x[0].detach().flatten(1), dim=0)
    sim = ((unit.t() @ unit).clamp(min=0) + 1e-6) ** 0.5  # the reference's featprop for p < 1
    assert (unit.t() @ unit < 0).any()
    assert torch.allclose(out[0].detach().flatten(1), F.normalize(unit @ sim.t(), dim=0), atol=1e-5)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


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
