"""Losses: InBatchInfoNCELoss equals sentence-transformers' MultipleNegativesRankingLoss (with hard negatives and
symmetric), multiple positives, the learned temperature, and the MoCo queue."""
import math

import pytest
import torch

from align_core.momentum_queue import FeatureQueue
from text_align.losses import InBatchInfoNCELoss, moco_infonce


def embeddings(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def mnrl(**kwargs):
    from sentence_transformers.sentence_transformer.losses.multiple_negatives_ranking import \
        MultipleNegativesRankingLoss
    return MultipleNegativesRankingLoss(model=None, **kwargs)


def test_equals_sentence_transformers_mnrl():
    queries, positives, negatives = embeddings(8, 32, seed=1), embeddings(8, 32, seed=2), embeddings(8, 32, seed=3)
    ours = InBatchInfoNCELoss(temperature=0.05, gather=False)
    labels = torch.zeros(8)
    torch.testing.assert_close(ours(queries, positives),
                               mnrl(scale=20.0).compute_loss_from_embeddings([queries, positives], labels))
    torch.testing.assert_close(ours(queries, positives, negatives.unsqueeze(1)),
                               mnrl(scale=20.0).compute_loss_from_embeddings([queries, positives, negatives], labels))
    symmetric = InBatchInfoNCELoss(temperature=0.05, symmetric=True, gather=False)
    reference = mnrl(scale=20.0, directions=('query_to_doc', 'doc_to_query'), partition_mode='per_direction')
    torch.testing.assert_close(symmetric(queries, positives),
                               reference.compute_loss_from_embeddings([queries, positives], labels))


def test_multiple_positives_count_every_positive_in_the_numerator():
    loss = InBatchInfoNCELoss(temperature=1.0, similarity='dot', gather=False)
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    positives = torch.tensor([[[1.0, 0.0], [0.5, 0.0]], [[0.0, 1.0], [0.0, 0.5]]])
    logits = queries @ positives.flatten(0, 1).t()
    expected = torch.stack([torch.logsumexp(logits[i], 0) - torch.logsumexp(logits[i, 2 * i:2 * i + 2], 0)
                            for i in range(2)]).mean()
    torch.testing.assert_close(loss(queries, positives), expected)


def test_learned_temperature_gets_gradients_and_identical_pairs_cost_log_b():
    loss = InBatchInfoNCELoss(temperature=0.07, learn_temperature=True, gather=False)
    value = loss(embeddings(4, 8), embeddings(4, 8, seed=5))
    value.backward()
    assert loss.log_scale.grad is not None and loss.log_scale.grad != 0
    same = torch.ones(4, 8)
    assert InBatchInfoNCELoss(gather=False)(same, same).item() == pytest.approx(math.log(4), abs=1e-5)
    with pytest.raises(ValueError, match='temperature'):
        InBatchInfoNCELoss(temperature=0.0)


def test_feature_queue_keeps_the_newest_keys_and_moco_loss_uses_only_enqueued_ones():
    queue = FeatureQueue(dim=2, size=5)
    assert queue.valid().shape == (0, 2)
    for step in range(3):
        queue.enqueue(torch.full((2, 2), float(step)))
    assert int(queue.filled) == 5 and int(queue.pointer) == 1
    assert sorted(queue.valid()[:, 0].tolist()) == [0.0, 1.0, 1.0, 2.0, 2.0]  # the oldest key overwritten
    queries, keys = embeddings(3, 2), embeddings(3, 2, seed=7)
    fresh = FeatureQueue(dim=2, size=4)
    expected = torch.nn.functional.cross_entropy(((queries * keys).sum(1, keepdim=True)) / 0.05,
                                                 torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(moco_infonce(queries, keys, fresh, 0.05), expected)


def test_moco_loss_scores_the_positive_against_every_enqueued_key_by_hand():
    queue = FeatureQueue(dim=2, size=4)
    queue.enqueue(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))  # 3 of 4 slots: the random row stays out
    queries = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    keys = torch.tensor([[1.0, 1.0], [0.0, -1.0]])
    # query 0: positive 2, queue scores [2, 0, -2]; query 1: positive -1, queue scores [0, 1, 0]; temperature 0.5
    row0 = torch.tensor([2.0, 2.0, 0.0, -2.0]) / 0.5
    row1 = torch.tensor([-1.0, 0.0, 1.0, 0.0]) / 0.5
    expected = ((torch.logsumexp(row0, 0) - row0[0]) + (torch.logsumexp(row1, 0) - row1[0])) / 2
    torch.testing.assert_close(moco_infonce(queries, keys, queue, 0.5), expected)
    # normalised: cosines instead of dot products (query 0 . key 0 = 1/sqrt(2))
    unit = moco_infonce(queries, keys, queue, 0.5, normalize=True)
    row0 = torch.tensor([2 ** -0.5, 1.0, 0.0, -1.0]) / 0.5
    row1 = torch.tensor([-1.0, 0.0, 1.0, 0.0]) / 0.5
    torch.testing.assert_close(unit, ((torch.logsumexp(row0, 0) - row0[0]) + (torch.logsumexp(row1, 0) - row1[0])) / 2)
