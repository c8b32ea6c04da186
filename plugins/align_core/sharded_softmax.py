"""Model-parallel softmax cross-entropy over a class set split across processes (each holds a slice of the
classifier), for multi-label targets."""
from typing import Tuple

import torch
import torch.distributed as dist

from .distributed import rank_and_world_size


class _SumOfIdenticalLosses(torch.autograd.Function):
    """All-reduce (sum) whose backward is the identity.

    Every process goes on to compute the same loss from the sum, so the gradient each process receives for the sum
    is already the gradient of that one loss; summing it again (the backward of a plain all-reduce) would count it
    once per process.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = x.clone()
        dist.all_reduce(x, op=dist.ReduceOp.SUM)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return grad


def sum_across_processes(x: torch.Tensor) -> torch.Tensor:
    """Sum of ``x`` over processes, for a loss that every process computes identically from it (``x`` itself when
    not distributed)."""
    _, world = rank_and_world_size()
    return _SumOfIdenticalLosses.apply(x) if world > 1 else x


def positive_weights(labels: torch.Tensor,
                     column_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Target weights of multi-label rows, ``1 / |P_i|`` at each positive class of row i, as sparse entries.

    Args:
        labels: (N, K) global class ids per row, padded with -1; every row needs at least one id; repeats count
            once.
        column_ids: (C,) sorted global class ids of the local logit columns.

    Returns:
        ``(rows, cols, weights, num_positive)``: the local entries (row, column, weight) and (N,) positives per row
        (all shards).
    """
    valid = labels >= 0
    if not bool(valid.any(1).all()):
        rows = (~valid.any(1)).nonzero().flatten().tolist()
        raise ValueError(f'sharded softmax: rows {rows[:10]} have no label (labels are padded with -1)')
    dedup = labels.sort(1).values
    first = torch.ones_like(dedup, dtype=torch.bool)
    first[:, 1:] = dedup[:, 1:] != dedup[:, :-1]
    valid = (dedup >= 0) & first
    num_positive = valid.sum(1)
    rows = torch.arange(labels.shape[0], device=labels.device)[:, None].expand_as(dedup)
    col = torch.searchsorted(column_ids, dedup.clamp(min=0).contiguous())
    col_c = col.clamp(max=max(column_ids.numel() - 1, 0))
    here = valid & (col < column_ids.numel())
    if column_ids.numel():
        here &= column_ids[col_c] == dedup
    weights = (1.0 / num_positive.float())[:, None].expand_as(dedup)
    return rows[here], col_c[here], weights[here], num_positive


def sharded_softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor,
                                  column_ids: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy over all processes' classes, each process holding some of the logit columns.

    Row i's loss is ``logsumexp_c(z_ic) - mean_{p in P_i} z_ip`` over the classes of every process (the
    cross-entropy against a target spread evenly over the row's positives; one label gives plain cross-entropy).
    The row maximum is all-reduced (MAX) and the exponential sums and positive logits all-reduced (SUM), so every
    process returns the same loss, the mean over rows, and each process's logits receive exactly their gradient
    of it.

    Args:
        logits: (N, C_local) logits of every row of the (gathered) batch against this process's columns.
        labels: (N, K) global positive class ids per row, padded with -1 (the same on every process).
        column_ids: (C_local,) sorted global ids of this process's columns (a shard range or a sampled subset of
            it); the columns of all processes together must hold every positive.

    Returns:
        Scalar loss, identical on every process.
    """
    if logits.shape[1] != column_ids.numel():
        raise ValueError(f'sharded_softmax_cross_entropy: logits have {logits.shape[1]} columns, column_ids '
                         f'{column_ids.numel()}')
    _, world = rank_and_world_size()
    rows, cols, weights, _ = positive_weights(labels, column_ids)
    with torch.no_grad():
        row_max = logits.max(1).values if logits.shape[1] else logits.new_full((logits.shape[0], ), -float('inf'))
        if world > 1:
            dist.all_reduce(row_max, op=dist.ReduceOp.MAX)
    sum_exp = sum_across_processes((logits - row_max[:, None]).exp().sum(1))
    picked = logits[rows, cols] * weights.to(logits.dtype)
    local_positive = logits.new_zeros(logits.shape[0]).index_add(0, rows, picked)
    positive = sum_across_processes(local_positive)
    covered = torch.zeros(logits.shape[0], device=logits.device).index_add_(0, rows, weights.float())
    if world > 1:  # every positive must be some process's column
        dist.all_reduce(covered)
    if not torch.allclose(covered, torch.ones_like(covered), atol=1e-4):
        missing = (covered < 1 - 1e-4).nonzero().flatten().tolist()
        raise ValueError(f'sharded_softmax_cross_entropy: rows {missing[:10]} have labels in no process\'s columns')
    return (sum_exp.log() + row_max - positive).mean()
