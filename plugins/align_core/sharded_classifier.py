"""A linear (or cosine) classifier over a very large class set whose weight matrix is split across processes,
trained with the model-parallel softmax and optional PartialFC-style class sampling."""
from typing import Optional

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from .class_shards import class_shard_range
from .distributed import rank_and_world_size
from .partial_class_sampling import sample_shard_classes
from .sharded_softmax import sharded_softmax_cross_entropy
from .uneven_gather import gather_row_counts, gather_uneven_with_grad


class _ScaleGrad(torch.autograd.Function):
    """Identity forward, gradient multiplied by ``scale`` backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:  # noqa: D102
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        return grad * ctx.scale, None


def _gather_rows(shard: torch.Tensor) -> torch.Tensor:
    """Row shards of every process (row counts may differ) concatenated in rank order."""
    counts = gather_row_counts(shard.shape[0], shard.device)
    padded = shard.new_zeros((max(counts), ) + shard.shape[1:])
    padded[:shard.shape[0]] = shard
    parts = [torch.empty_like(padded) for _ in range(len(counts))]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([part[:count] for part, count in zip(parts, counts)])


def gather_labels(labels: torch.Tensor) -> torch.Tensor:
    """(B_r, K_r) labels of every process, padded with -1 to a common width, concatenated in rank order."""
    rank, world = rank_and_world_size()
    if world == 1:
        return labels
    counts = gather_row_counts(labels.shape[0], labels.device)
    widths = gather_row_counts(labels.shape[1], labels.device)
    padded = labels.new_full((max(counts), max(widths)), -1)
    padded[:labels.shape[0], :labels.shape[1]] = labels
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded)
    return torch.cat([part[:count] for part, count in zip(parts, counts)])


class ShardedClassifier(nn.Module):
    """Classifier weight ``(num_classes, dim)`` split by rows over processes, each holding
    :func:`class_shard_range` of it (uneven shards allowed).

    Training: the batch features and labels of every process are gathered, each process scores all rows against
    its shard (or a PartialFC sample of it: every positive plus random negatives) and the softmax statistics are
    all-reduced (:func:`sharded_softmax_cross_entropy`), so the loss is the full-softmax loss of the whole batch.

    Under DDP the weight shard differs between processes: the owning model must keep it out of DDP (see
    :attr:`ddp_ignored_names`); its gradient is exact without averaging. Under several processes
    ``state_dict()`` holds a ``(num_classes, dim)`` weight with only this process's rows (NaN elsewhere);
    :class:`align_core.sharded_checkpoint.ShardedClassifierCheckpointHook` writes checkpoints with every row and
    the per-row optimizer state. Loading takes the full weight (this process's rows are kept) or this process's
    shard. The backbone's gradient is averaged by DDP,
    so with ``ddp_average=True`` the features' gradient is multiplied by the number of processes first, and DDP's
    average is again the exact gradient.

    Args:
        num_classes: size of the whole class set.
        dim: feature dimension.
        sample_rate: fraction of each shard scored per training step (1.0: all classes).
        normalize: L2-normalise features and weight rows (a cosine classifier) before scaling by ``scale``.
        scale: logit multiplier with ``normalize`` (ignored otherwise).
        bias: add a per-class bias (plain linear classifier only).
        ddp_average: compensate DDP's averaging of the backbone gradient (see above).
        init_std: std of the normal weight initialisation (PartialFC: 0.01).
    """

    def __init__(self, num_classes: int, dim: int, sample_rate: float = 1.0, normalize: bool = False,
                 scale: float = 16.0, bias: bool = False, ddp_average: bool = True, init_std: float = 0.01) -> None:
        super().__init__()
        if not 0.0 < sample_rate <= 1.0:
            raise ValueError(f'ShardedClassifier: sample_rate must be in (0, 1], got {sample_rate}')
        if normalize and bias:
            raise ValueError('ShardedClassifier: bias applies to the plain linear classifier, not normalize=True')
        rank, world = rank_and_world_size()
        self.num_classes, self.dim, self.sample_rate = num_classes, dim, sample_rate
        self.normalize, self.scale, self.ddp_average = normalize, scale, ddp_average
        self.start, self.end = class_shard_range(num_classes, rank, world)
        self.weight = nn.Parameter(torch.randn(self.end - self.start, dim) * init_std)
        self.bias = nn.Parameter(torch.zeros(self.end - self.start)) if bias else None

    @property
    def ddp_ignored_names(self) -> list:
        """Names (relative to this module) of the per-process parameters that DDP must not synchronise."""
        return ['weight'] + (['bias'] if self.bias is not None else [])

    def logits(self, features: torch.Tensor, column_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(N, D) features -> (N, C) logits against this process's classes (all, or the global ids given)."""
        local = None if column_ids is None else column_ids - self.start
        weight = self.weight if local is None else self.weight[local]
        if self.normalize:
            return self.scale * F.normalize(features, dim=-1) @ F.normalize(weight, dim=-1).t()
        out = features @ weight.t()
        if self.bias is not None:
            out = out + (self.bias if local is None else self.bias[local])
        return out

    def forward(self, features: torch.Tensor, labels: torch.Tensor,
                generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Loss of this process's batch rows in the whole batch.

        Args:
            features: (B, D) this process's features.
            labels: (B, K) global class ids per row, padded with -1 (at least one per row).
            generator: random generator of the class sampling.

        Returns:
            Scalar loss (the mean over the rows of every process), the same on every process.
        """
        if labels.dim() == 1:
            labels = labels[:, None]
        bad = (labels >= self.num_classes) | (labels < -1)
        if bool(bad.any()):
            row = int(bad.any(1).nonzero()[0])
            raise ValueError(f'ShardedClassifier: row {row} has label(s) {labels[row].tolist()} outside '
                             f'[0, {self.num_classes})')
        _, world = rank_and_world_size()
        if world > 1 and self.ddp_average:
            features = _ScaleGrad.apply(features, float(world))
        all_features, _ = gather_uneven_with_grad(features)
        all_labels = gather_labels(labels)
        all_columns = torch.arange(self.start, self.end, device=features.device)
        if self.training and self.sample_rate < 1.0:
            column_ids = sample_shard_classes(all_labels[all_labels >= 0], self.start, self.end, self.sample_rate,
                                              generator)
            logits = self.logits(all_features, column_ids)
        else:  # every column: no copy of the weight
            column_ids, logits = all_columns, self.logits(all_features)
        return sharded_softmax_cross_entropy(logits, all_labels, column_ids)

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        """Under several processes the state holds a ``(num_classes, ...)`` weight (and bias) with this process's
        rows filled and NaN elsewhere, without any communication: mmengine broadcasts rank 0's state dict at the
        start of training (which would otherwise write rank 0's shard into the others, or fail on uneven shards)
        and saves checkpoints from rank 0 alone. :class:`ShardedClassifierCheckpointHook` fills in the other
        processes' rows before a checkpoint is written; loading refuses rows that are still NaN."""
        super()._save_to_state_dict(destination, prefix, keep_vars)
        if rank_and_world_size()[1] > 1:
            for name in self.ddp_ignored_names:
                shard = getattr(self, name).detach()
                full = shard.new_full((self.num_classes, ) + shard.shape[1:], float('nan'))
                full[self.start:self.end] = shard
                destination[prefix + name] = full

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Accept the full ``(num_classes, ...)`` tensors (as :class:`ShardedClassifierCheckpointHook` writes them)
        and keep this process's rows of them; a shard of another size is an error naming the key."""
        for name in self.ddp_ignored_names:
            key, rows = prefix + name, self.end - self.start
            if key not in state_dict or state_dict[key].dim() == 0:
                continue
            saved = state_dict[key].shape[0]
            if saved == self.num_classes:
                state_dict[key] = state_dict[key][self.start:self.end]
                if bool(torch.isnan(state_dict[key]).any()):
                    error_msgs.append(f'{key}: rows [{self.start}, {self.end}) are missing (NaN) in the checkpoint: '
                                      f'it was written by rank 0 of a multi-process run without '
                                      f'ShardedClassifierCheckpointHook')
                    return
            elif saved != rows:
                error_msgs.append(f'{key}: the checkpoint holds {saved} rows, but this classifier has '
                                  f'{self.num_classes} classes (shard [{self.start}, {self.end}) here); a '
                                  f'multi-process checkpoint needs ShardedClassifierCheckpointHook to hold every '
                                  f'class')
                return
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, dim={self.dim}, shard=[{self.start}, {self.end}), '
                f'sample_rate={self.sample_rate}, normalize={self.normalize}')


__all__ = ['ShardedClassifier', 'gather_labels']
