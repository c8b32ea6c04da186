"""Identical caption texts in a DreamLIP batch: the same-text InfoNCE of the grouping loss against a loop
computation, and its equality with the plain InfoNCE when all texts differ."""
import math

import pytest
import torch
import torch.nn.functional as F

from align_core.contrastive import symmetric_infonce
from dense_align.dreamlip import grouped_patch_embeddings, grouping_loss, same_text_infonce


def _loop_ce(q, k, ids, scale):
    """Cross-entropy of row i of q against all k, leaving out the k_j (j != i) whose text equals i's."""
    total = 0.0
    for i in range(q.shape[0]):
        kept = [j for j in range(k.shape[0]) if j == i or ids[j] != ids[i]]
        logits = [scale * float(q[i] @ k[j]) for j in kept]
        total += -logits[kept.index(i)] + math.log(sum(math.exp(v) for v in logits))
    return total / q.shape[0]


def test_same_text_pairs_are_no_negatives():
    g = torch.Generator().manual_seed(0)
    a, b = F.normalize(torch.randn(5, 4, generator=g), dim=-1), F.normalize(torch.randn(5, 4, generator=g), dim=-1)
    ids = torch.tensor([7, 3, 7, 9, 3])  # rows 0/2 and 1/4 carry identical texts
    expected = (_loop_ce(a, b, ids.tolist(), 10.0) + _loop_ce(b, a, ids.tolist(), 10.0)) / 2
    assert same_text_infonce(a, b, ids, torch.tensor(10.0)).item() == pytest.approx(expected, rel=1e-5)
    plain = symmetric_infonce(a, b, torch.tensor(10.0)).item()
    assert plain > expected  # the twins were negatives
    assert same_text_infonce(a, b, torch.arange(5), torch.tensor(10.0)).item() == pytest.approx(plain, rel=1e-6)
    with pytest.raises(ValueError, match='same_text_infonce'):
        same_text_infonce(a, b, ids[:3], torch.tensor(10.0))


def test_grouping_loss_with_text_ids_masks_the_twins():
    g = torch.Generator().manual_seed(2)
    texts, patches = torch.randn(2, 3, 8, generator=g), torch.randn(2, 4, 8, generator=g)
    texts[1, 2] = texts[0, 2]  # one sub-caption shared by both images (the same tokens, the same embedding)
    ids = torch.tensor([[1, 2, 5], [3, 4, 5]])
    grouped = grouped_patch_embeddings(texts, patches).reshape(6, 8)
    flat = F.normalize(texts.reshape(6, 8), dim=-1)
    expected = (_loop_ce(grouped, flat, ids.reshape(-1).tolist(), 10.0)
                + _loop_ce(flat, grouped, ids.reshape(-1).tolist(), 10.0)) / 2
    assert grouping_loss(texts, patches, torch.tensor(10.0), text_ids=ids).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match='text_ids'):
        grouping_loss(texts, patches, torch.tensor(10.0), text_ids=ids[:, :2])
