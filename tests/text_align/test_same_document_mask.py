"""Same-group negative masking in InBatchInfoNCELoss (e.g. sentences of one document, or of one class): other rows
of a query's group leave its softmax; its own positive and hard negative stay. Checked against hand computations,
under DDP (2 CPU processes), and through SimCSE(group_key=...)."""
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from conftest import free_port, join_gloo_group
from text_align.losses import InBatchInfoNCELoss

Q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
P = torch.tensor([[0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
N = torch.tensor([[[-1.0, 0.0]], [[0.0, -1.0]], [[1.0, 0.0]]])  # one hard negative per row
GROUPS = torch.tensor([7, 7, 3])  # rows 0 and 1 come from the same document
SCALE = 2.0  # temperature 0.5


def nll(positive: float, kept: list) -> float:
    """-log softmax of the positive's cosine among the kept cosines (the positive included), at SCALE."""
    return -SCALE * positive + math.log(sum(math.exp(SCALE * c) for c in kept))


def test_mask_leaves_same_document_rows_out_of_the_softmax():
    # cosines q_i . p_j (unit vectors): row0 -> (0.8, 0.6, 0.0), row1 -> (0.6, 0.8, 1.0), row2 -> (0.96, 1.0, 0.8)
    by_hand = (nll(0.8, [0.8, 0.0]) + nll(0.8, [0.8, 1.0]) + nll(0.8, [0.96, 1.0, 0.8])) / 3
    unmasked = (nll(0.8, [0.8, 0.6, 0.0]) + nll(0.8, [0.6, 0.8, 1.0]) + nll(0.8, [0.96, 1.0, 0.8])) / 3
    loss = InBatchInfoNCELoss(temperature=0.5)
    assert loss(Q, P, groups=GROUPS).item() == pytest.approx(by_hand, rel=1e-6)
    assert loss(Q, P).item() == pytest.approx(unmasked, rel=1e-6)  # default unchanged
    assert by_hand != pytest.approx(unmasked, rel=1e-3)


def test_mask_covers_hard_negatives_of_other_rows_but_keeps_the_own_one():
    # candidates: p0 p1 p2 n0 n1 n2; row 0 drops p1 and n1, row 1 drops p0 and n0, row 2 keeps all
    row0 = nll(0.8, [0.8, 0.0, -1.0, 1.0])
    row1 = nll(0.8, [0.8, 1.0, -1.0, 0.0])
    row2 = nll(0.8, [0.96, 1.0, 0.8, -0.6, -0.8, 0.6])
    loss = InBatchInfoNCELoss(temperature=0.5)(Q, P, N, groups=GROUPS)
    assert loss.item() == pytest.approx((row0 + row1 + row2) / 3, rel=1e-6)


def test_symmetric_direction_is_masked_too():
    forward = (nll(0.8, [0.8, 0.0]) + nll(0.8, [0.8, 1.0]) + nll(0.8, [0.96, 1.0, 0.8])) / 3
    # p_i . q_j: p0 -> (0.8, 0.6, 0.96) keeps q0, q2; p1 -> (0.6, 0.8, 1.0) keeps q1, q2; p2 -> (0, 1, 0.8) all
    backward = (nll(0.8, [0.8, 0.96]) + nll(0.8, [0.8, 1.0]) + nll(0.8, [0.0, 1.0, 0.8])) / 3
    loss = InBatchInfoNCELoss(temperature=0.5, symmetric=True)(Q, P, groups=GROUPS)
    assert loss.item() == pytest.approx((forward + backward) / 2, rel=1e-6)


def test_groups_must_be_one_integer_per_row():
    with pytest.raises(ValueError, match='groups must be 3 integers'):
        InBatchInfoNCELoss()(Q, P, groups=torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match='groups must be 3 integers'):
        InBatchInfoNCELoss()(Q, P, groups=torch.tensor([0, 1]))


def _worker(rank: int, world: int, port: int, weight, queries, positives, groups, out) -> None:
    join_gloo_group(rank, world, port)
    try:
        w = weight.clone().requires_grad_(True)
        rows = slice(rank * 4, rank * 4 + 4)
        loss = InBatchInfoNCELoss(temperature=0.1)(queries[rows] @ w, positives[rows], groups=groups[rows])
        loss.backward()
        grad = w.grad.clone()
        dist.all_reduce(grad)
        out[rank] = (grad / world, loss.detach())
    finally:
        dist.destroy_process_group()


def test_groups_are_gathered_across_processes():
    torch.manual_seed(0)
    weight, queries, positives = torch.randn(8, 8), torch.randn(8, 8), torch.randn(8, 8)
    groups = torch.tensor([0, 1, 2, 0, 1, 3, 3, 0])  # groups spanning both processes' halves
    w = weight.clone().requires_grad_(True)
    full = InBatchInfoNCELoss(temperature=0.1, gather=False)(queries @ w, positives, groups=groups)
    full.backward()
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), weight, queries, positives, groups, out), nprocs=2, join=True)
    for rank in (0, 1):
        torch.testing.assert_close(out[rank][0], w.grad, atol=1e-6, rtol=1e-5)
    assert (out[0][1] + out[1][1]).item() / 2 == pytest.approx(full.item(), rel=1e-5)


def test_simcse_reads_the_groups_from_the_rows(tmp_path):
    from tiny_bert import write_tiny_bert

    from text_align.data import tokenize_collate
    from text_align.methods import SimCSE
    folder = write_tiny_bert(tmp_path / 'bert')
    rows = [dict(text='the storm hit the coast', document=0), dict(text='rescue teams arrived', document=0),
            dict(text='markets rallied on friday', document=1), dict(text='a new vaccine was approved', document=2)]
    model = SimCSE(encoder=dict(type='TextEncoder', model_path=folder, pooling='mean'), group_key='document',
                   loss=dict(type='InBatchInfoNCELoss', temperature=0.5)).eval()  # eval: no dropout, one view
    batch = tokenize_collate(rows, folder, columns=('text', ))
    loss = model(batch['inputs'], batch['data_samples'], mode='loss')['loss_contrastive']
    embeddings = model.embed(batch['inputs']['text'])
    expected = InBatchInfoNCELoss(temperature=0.5)(embeddings, embeddings, groups=torch.tensor([0, 0, 1, 2]))
    ungrouped = InBatchInfoNCELoss(temperature=0.5)(embeddings, embeddings)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert loss.item() != pytest.approx(ungrouped.item(), rel=1e-4)
    with pytest.raises(ValueError, match="group_key='document' needs an integer 'document' field"):
        model(batch['inputs'], [dict(text=r['text']) for r in rows], mode='loss')
