"""The model-parallel softmax: loss and gradients equal the full softmax (one process, two gloo processes with
uneven shards), PartialFC sampling at rate 1.0 equals it exactly, and sampling keeps every positive."""
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from align_core.class_shards import class_shard_range
from align_core.partial_class_sampling import sample_shard_classes
from align_core.sharded_classifier import ShardedClassifier
from align_core.sharded_softmax import sharded_softmax_cross_entropy
from conftest import free_port, join_gloo_group

NUM_CLASSES, DIM = 11, 6  # 11 over 2 processes: shards of 6 and 5


def full_softmax(features: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Independent formula: cross-entropy against a target spread evenly over each row's distinct positives."""
    log_prob = F.log_softmax(features @ weight.t(), dim=1)
    target = torch.zeros_like(log_prob)
    for i, row in enumerate(labels.tolist()):
        ids = sorted({c for c in row if c >= 0})
        target[i, ids] = 1.0 / len(ids)
    return -(target * log_prob).sum(1).mean()


def _data(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(7, DIM, generator=gen)
    weight = torch.randn(NUM_CLASSES, DIM, generator=gen)
    labels = torch.tensor([[3, -1, -1], [0, 10, -1], [5, 5, 6], [10, -1, -1], [1, 2, 9], [7, -1, -1], [4, 8, -1]])
    return features, weight, labels


def _reference(features, weight, labels):
    features, weight = features.clone().requires_grad_(), weight.clone().requires_grad_()
    loss = full_softmax(features, weight, labels)
    loss.backward()
    return loss.detach(), features.grad, weight.grad


def test_shards_are_uneven_and_cover_every_class():
    assert [class_shard_range(11, r, 3) for r in range(3)] == [(0, 4), (4, 8), (8, 11)]
    assert class_shard_range(12, 1, 2) == (6, 12)


def test_one_process_equals_full_softmax_single_and_multi_label():
    features, weight, labels = _data()
    ref_loss, ref_fgrad, ref_wgrad = _reference(features, weight, labels)
    f, w = features.clone().requires_grad_(), weight.clone().requires_grad_()
    loss = sharded_softmax_cross_entropy(f @ w.t(), labels, torch.arange(NUM_CLASSES))
    loss.backward()
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(f.grad, ref_fgrad)
    torch.testing.assert_close(w.grad, ref_wgrad)
    # single label: plain cross-entropy
    single = torch.tensor([3, 0, 5, 10, 1, 7, 4])
    torch.testing.assert_close(sharded_softmax_cross_entropy(features @ weight.t(), single[:, None],
                                                             torch.arange(NUM_CLASSES)),
                               F.cross_entropy(features @ weight.t(), single))


def test_sampling_rate_one_is_exactly_the_full_softmax_and_keeps_positives():
    features, weight, labels = _data()
    head = ShardedClassifier(NUM_CLASSES, DIM, sample_rate=1.0)
    head.weight.data.copy_(weight)
    assert torch.equal(head(features, labels), full_softmax(features, weight, labels))
    positives = torch.tensor([2, 9, 9, 40])
    ids = sample_shard_classes(positives, 0, 20, 0.25, torch.Generator().manual_seed(0))
    assert ids.numel() == 5 and {2, 9} <= set(ids.tolist()) and ids.tolist() == sorted(ids.tolist())
    # more positives than the sample size: every positive, no negative
    assert sample_shard_classes(torch.arange(8), 0, 20, 0.25).tolist() == list(range(8))


def test_sampled_loss_is_the_softmax_over_the_sampled_classes():
    features, weight, labels = _data()
    features, labels = features[:3], labels[:3]  # positives 0, 3, 5, 6, 10
    head = ShardedClassifier(NUM_CLASSES, DIM, sample_rate=0.7).train()
    head.weight.data.copy_(weight)
    gen = torch.Generator().manual_seed(3)
    ids = sample_shard_classes(labels[labels >= 0], 0, NUM_CLASSES, 0.7, torch.Generator().manual_seed(3))
    assert ids.numel() == 7 and {0, 3, 5, 6, 10} <= set(ids.tolist())
    remap = {c: i for i, c in enumerate(ids.tolist())}
    sub_labels = labels.clone().apply_(lambda c: remap[c] if c >= 0 else -1)
    torch.testing.assert_close(head(features, labels, gen), full_softmax(features, weight[ids], sub_labels))


def _worker(rank, world, port, features, weight, labels, out):
    join_gloo_group(rank, world, port)
    rows = [(0, 4), (4, 7)][rank]  # uneven batches too: 4 and 3 rows
    head = ShardedClassifier(NUM_CLASSES, DIM, ddp_average=False)
    head.weight.data.copy_(weight[head.start:head.end])
    f = features[rows[0]:rows[1]].clone().requires_grad_()
    loss = head(f, labels[rows[0]:rows[1], :2 + rank])  # label widths differ per process too
    loss.backward()
    averaged = ShardedClassifier(NUM_CLASSES, DIM, ddp_average=True)  # DDP will average the backbone gradient
    averaged.weight.data.copy_(weight[averaged.start:averaged.end])
    g = features[rows[0]:rows[1]].clone().requires_grad_()
    averaged(g, labels[rows[0]:rows[1], :2 + rank]).backward()
    out[rank] = dict(loss=loss.detach(), fgrad=f.grad, wgrad=head.weight.grad, shard=(head.start, head.end),
                     fgrad_ddp=g.grad, wgrad_ddp=averaged.weight.grad)


def test_two_processes_uneven_shards_equal_full_softmax():
    features, weight, labels = _data()
    labels = labels.clone()
    labels[:4, 2] = -1  # rank 0 passes only the first 2 label columns
    ref_loss, ref_fgrad, ref_wgrad = _reference(features, weight, labels)
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), features, weight, labels, out), nprocs=2, join=True)
    assert out[0]['shard'] == (0, 6) and out[1]['shard'] == (6, 11)
    for rank in range(2):
        torch.testing.assert_close(out[rank]['loss'], ref_loss)
    torch.testing.assert_close(torch.cat([out[0]['fgrad'], out[1]['fgrad']]), ref_fgrad)
    torch.testing.assert_close(torch.cat([out[0]['wgrad'], out[1]['wgrad']]), ref_wgrad)
    # ddp_average: features' gradient x world (DDP's mean over 2 processes restores it), shard gradient unchanged
    torch.testing.assert_close(torch.cat([out[0]['fgrad_ddp'], out[1]['fgrad_ddp']]), 2 * ref_fgrad)
    torch.testing.assert_close(torch.cat([out[0]['wgrad_ddp'], out[1]['wgrad_ddp']]), ref_wgrad)


def test_bad_labels_name_the_row():
    head = ShardedClassifier(NUM_CLASSES, DIM)
    try:
        head(torch.randn(2, DIM), torch.tensor([[1], [11]]))
    except ValueError as err:
        assert 'row 1' in str(err) and '[0, 11)' in str(err)
    else:
        raise AssertionError('no error for a label outside the classes')
