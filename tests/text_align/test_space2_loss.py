"""SPACE-2's soft SupCon loss against a direct loop over anchors, SupCon / SimCLR as its binary / identity cases, and
the view subspace projection."""
import math

import pytest
import torch
import torch.nn.functional as F

from text_align.losses import SoftSupConLoss
from text_align.methods import SubspaceProjection


def loop_loss(features: torch.Tensor, mask: torch.Tensor, temperature: float, base: float) -> float:
    """The formula written out: every view of every row is an anchor, every other view a candidate."""
    size, views = features.shape[:2]
    items = [(v, i) for v in range(views) for i in range(size)]
    total = 0.0
    for a, (va, ia) in enumerate(items):
        others = [(k, vk, ik) for k, (vk, ik) in enumerate(items) if k != a]
        logits = {k: float(features[ia, va] @ features[ik, vk]) / temperature for k, vk, ik in others}
        log_denominator = math.log(sum(math.exp(v) for v in logits.values()))
        weights = {k: float(mask[ia, ik]) for k, _, ik in others}
        mean_log_prob = sum(weights[k] * (logits[k] - log_denominator) for k in logits) / sum(weights.values())
        total += -(temperature / base) * mean_log_prob
    return total / len(items)


@pytest.fixture
def features():
    torch.manual_seed(0)
    return F.normalize(torch.randn(5, 2, 8, dtype=torch.float64), dim=-1)


def test_soft_mask_loss_equals_the_loop(features):
    soft = torch.rand(5, 5, dtype=torch.float64)
    soft = (soft + soft.T) / 2
    soft.fill_diagonal_(1.0)
    for temperature, base in ((0.07, 0.07), (0.5, 0.07)):
        loss = SoftSupConLoss(temperature, base)(features, soft)
        assert loss.item() == pytest.approx(loop_loss(features, soft, temperature, base), rel=1e-9)


def test_binary_mask_is_supcon_and_no_mask_is_simclr(features):
    labels = torch.tensor([0, 1, 0, 2, 1])
    same = (labels[:, None] == labels[None]).double()
    criterion = SoftSupConLoss()
    assert criterion(features, same).item() == pytest.approx(loop_loss(features, same, 0.07, 0.07), rel=1e-9)
    eye = torch.eye(5, dtype=torch.float64)
    assert criterion(features).item() == pytest.approx(loop_loss(features, eye, 0.07, 0.07), rel=1e-9)
    # SimCLR: each anchor's only positive is its other view -> plain cross-entropy over the 2B - 1 others
    flat = torch.cat([features[:, 0], features[:, 1]])
    logits = (flat @ flat.T / 0.07).masked_fill(torch.eye(10, dtype=torch.bool), float('-inf'))
    target = torch.cat([torch.arange(5, 10), torch.arange(5)])
    assert criterion(features).item() == pytest.approx(F.cross_entropy(logits, target).item(), rel=1e-9)


def test_loss_rejects_bad_shapes(features):
    with pytest.raises(ValueError, match=r'mask must be \(5, 5\)'):
        SoftSupConLoss()(features, torch.eye(4))
    with pytest.raises(ValueError, match='features must be'):
        SoftSupConLoss()(features[:, 0])


def test_subspace_projection_is_one_linear_tanh_cut_into_ten_views():
    torch.manual_seed(0)
    head = SubspaceProjection(hidden_dim=6, subspace_dim=4)
    assert head.projection[0].weight.shape == (40, 6) and isinstance(head.projection[1], torch.nn.Tanh)
    x = torch.randn(3, 6)
    out = head(x)
    full = torch.tanh(x @ head.projection[0].weight.T + head.projection[0].bias)
    assert out.shape == (3, 10, 4)
    torch.testing.assert_close(out[:, 7], full[:, 28:32])  # view 7 = DIS is columns 28..31
    chosen = SubspaceProjection(6, 4, views=['SV', 'D'])
    chosen.load_state_dict(head.state_dict())
    torch.testing.assert_close(chosen(x), torch.stack([full[:, 24:28], full[:, 0:4]], dim=1))
    with pytest.raises(ValueError, match='unknown views'):
        SubspaceProjection(6, views=['X'])
