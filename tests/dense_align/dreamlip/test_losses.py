"""DreamLIP losses against hand-computed values and an independent loop implementation of the released formulas."""
import math

import pytest
import torch
import torch.nn.functional as F

from dense_align.dreamlip import circle_loss, grouped_patch_embeddings, grouping_loss, grouping_weights
from dense_align.dreamlip import caption_ids, multi_positive_loss


def test_multi_positive_loss_hand_computed():
    # s_p = 1: alpha_p = 0.25, logit_p = -32 * 0.25 * (1 - 0.75) = -2; s_n = 0: alpha_n = 0.25, logit_n = -2
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    loss = multi_positive_loss(images, images[:, None], margin=0.25, gamma=32, divisor=10)
    assert loss.item() == pytest.approx(math.log1p(math.exp(-4.0)) / 10, rel=1e-6)


def _circle_loop(sim, pos, m, g):
    total = 0.0
    for i in range(sim.shape[0]):
        lp = [-g * max(1 + m - s, 0) * (s - (1 - m)) for s, p in zip(sim[i].tolist(), pos[i].tolist()) if p]
        ln = [g * max(s + m, 0) * (s - m) for s, p in zip(sim[i].tolist(), pos[i].tolist()) if not p]
        total += math.log1p(math.exp(torch.tensor(lp).logsumexp(0).item() + torch.tensor(ln).logsumexp(0).item()))
    return total / sim.shape[0]


def test_multi_positive_loss_matches_the_released_layout():
    g = torch.Generator().manual_seed(0)
    images, texts = torch.randn(3, 8, generator=g), torch.randn(3, 4, 8, generator=g)
    # released: texts stacked caption-major (T*B rows, row t*B + b), positives eye(B).repeat(T, 1).T
    flat = F.normalize(texts, dim=-1).transpose(0, 1).reshape(-1, 8)
    sim = F.normalize(images, dim=-1) @ flat.t()
    pos = torch.eye(3).repeat(4, 1).t()
    expected = _circle_loop(sim, pos, 0.25, 32) / 10
    assert multi_positive_loss(images, texts).item() == pytest.approx(expected, rel=1e-5)
    assert circle_loss(sim, pos).item() == pytest.approx(expected * 10, rel=1e-5)


def test_a_shared_caption_text_is_not_a_negative_of_its_own_image():
    # images e1, e2; captions: image 0 (e1, d), image 1 (e2, d), d = (e1 + e2) / sqrt 2 the SAME text for both
    # (the demo's shared distractor sentences). s(image, d) = c = 1/sqrt 2 for both images.
    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    d = (e1 + e2) / math.sqrt(2)
    images, texts = torch.stack([e1, e2]), torch.stack([torch.stack([e1, d]), torch.stack([e2, d])])
    ids = torch.tensor([[1, 3], [2, 3]])
    c, m, g = 1 / math.sqrt(2), 0.25, 32.0
    own = -g * (1 + m - 1) * (1 - (1 - m))  # positive at s = 1: -2
    shared_p = -g * (1 + m - c) * (c - (1 - m))  # the shared text as a positive
    other = g * m * (0 - m)  # the other image's own caption, s = 0: -2
    shared_n = g * (c + m) * (c - m)  # the shared text as the other image's negative (released code only)
    lse = lambda *x: math.log(sum(math.exp(v) for v in x))  # noqa: E731
    fixed = math.log1p(math.exp(lse(own, shared_p) + other)) / 10
    released = math.log1p(math.exp(lse(own, shared_p) + lse(other, shared_n))) / 10
    assert multi_positive_loss(images, texts, text_ids=ids).item() == pytest.approx(fixed, rel=1e-5)
    assert multi_positive_loss(images, texts).item() == pytest.approx(released, rel=1e-5)
    assert released > 10 * fixed  # ~1.21 vs ~0.06: the released form cannot go below softplus(12) / 10 here
    # with the shared text as a positive and a negative, the summed logits never drop below gamma (1/2 - 2 m^2) = 12
    s = torch.linspace(-1, 1, 2001)
    floor = g * (s + m) * (s - m) - g * (1 + m - s) * (s - (1 - m))
    assert floor.min().item() == pytest.approx(12.0, abs=1e-3) and s[floor.argmin()].item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match='text_ids'):
        multi_positive_loss(images, texts, text_ids=ids[:, :1])


def test_caption_ids_equal_exactly_for_equal_token_rows():
    tokens = torch.tensor([[[49406, 320, 1125, 49407, 0], [49406, 320, 1125, 49407, 0]],
                           [[49406, 320, 1126, 49407, 0], [49406, 1125, 320, 49407, 0]]])
    ids = caption_ids(tokens)
    assert ids.shape == (2, 2) and ids.dtype == torch.long
    assert ids[0, 0] == ids[0, 1] and len({ids[0, 0].item(), ids[1, 0].item(), ids[1, 1].item()}) == 3
    assert torch.equal(caption_ids(tokens), ids)  # fixed coefficients: the same on every process and call


def test_grouping_weights_minmax_threshold_renormalise():
    sim = torch.tensor([[[0.2, 0.5, 0.8, -0.1]]])  # min-max: 1/3, 2/3, 1, 0
    assert torch.allclose(grouping_weights(sim, 'minmax', 0.0), torch.tensor([1 / 6, 1 / 3, 1 / 2, 0.0]))
    assert torch.allclose(grouping_weights(sim, 'minmax', 0.5), torch.tensor([0.0, 0.4, 0.6, 0.0]))
    soft = sim.softmax(-1)
    kept = torch.where(soft < 0.25, torch.zeros_like(soft), soft)  # delta < 0: 1 / num_patches
    assert torch.allclose(grouping_weights(sim, 'softmax', -1.0), kept / kept.sum(-1, keepdim=True))
    w = grouping_weights(torch.randn(2, 3, 5), 'minmax', 0.3)
    assert torch.allclose(w.sum(-1), torch.ones(2, 3)) and (w[w > 0] >= 0.3 / 5).all()
    with pytest.raises(ValueError, match='delta'):
        grouping_weights(sim, 'minmax', 1.5)


def test_grouping_loss_matches_an_independent_computation():
    g = torch.Generator().manual_seed(1)
    texts, patches, scale = torch.randn(2, 3, 8, generator=g), torch.randn(2, 5, 8, generator=g), torch.tensor(10.)
    grouped = []
    for b in range(2):
        p = F.normalize(patches[b], dim=-1)
        for t in range(3):
            w = grouping_weights((F.normalize(texts[b, t], dim=-1) @ p.t())[None, None], 'minmax', 0.2)[0, 0]
            grouped.append(F.normalize((w[:, None] * p).sum(0), dim=0))
    grouped, flat = torch.stack(grouped), F.normalize(texts.reshape(6, 8), dim=-1)
    assert torch.allclose(grouped_patch_embeddings(texts, patches, 'minmax', 0.2).reshape(6, 8), grouped, atol=1e-6)
    logits = scale * flat @ grouped.t()
    expected = (F.cross_entropy(logits, torch.arange(6)) + F.cross_entropy(logits.t(), torch.arange(6))) / 2
    assert grouping_loss(texts, patches, scale, 'minmax', 0.2).item() == pytest.approx(expected.item(), rel=1e-5)
