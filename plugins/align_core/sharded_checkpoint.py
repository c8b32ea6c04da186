"""Checkpoints of a :class:`ShardedClassifier` trained on several processes: each process holds only its shard of
the class weights (and of their optimizer state), but mmengine writes the checkpoint from rank 0 alone.

:class:`ShardedClassifierCheckpointHook` gathers every shard into the checkpoint before it is written (the full
``(num_classes, dim)`` weight, and the full per-row optimizer state such as Adam's moments), and slices this
process's rows out again after a checkpoint is read, before the model and the optimizer load it. A checkpoint
therefore holds the whole classifier whatever the number of processes that wrote it, and loads into any number of
processes (the shards of the new run are cut from the full matrix).
"""
from typing import Dict, List, Optional

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.registry import HOOKS
from torch import nn

from .distributed import rank_and_world_size
from .sharded_classifier import ShardedClassifier
from .uneven_gather import gather_row_counts

META_KEY = 'sharded_classifiers'


def sharded_classifiers(model: nn.Module) -> Dict[str, ShardedClassifier]:
    """Every :class:`ShardedClassifier` in ``model`` (wrappers unwrapped), by module name."""
    model = model.module if is_model_wrapper(model) else model
    return {name: m for name, m in model.named_modules() if isinstance(m, ShardedClassifier)}


def gather_shards(shard: torch.Tensor) -> torch.Tensor:
    """The row shards of every process concatenated in rank order (shards may differ in rows).

    Args:
        shard: (R_r, ...) this process's rows.

    Returns:
        (sum R_r, ...) tensor; ``shard`` itself when not distributed.
    """
    _, world = rank_and_world_size()
    if world == 1:
        return shard
    counts = gather_row_counts(shard.shape[0], shard.device)
    padded = shard.new_zeros((max(counts), ) + shard.shape[1:])
    padded[:shard.shape[0]] = shard
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([part[:count] for part, count in zip(parts, counts)])


def _optimizer_index(runner) -> Optional[Dict[int, int]]:
    """``id(param) -> index`` of the parameters in the optimizer's state dict (None without a built optimizer)."""
    wrapper = getattr(runner, 'optim_wrapper', None)
    if not isinstance(wrapper, OptimWrapper):
        return None
    params = [p for group in wrapper.optimizer.param_groups for p in group['params']]
    return {id(p): i for i, p in enumerate(params)}


def _row_states(state: dict, rows: int) -> List[str]:
    """Keys of an optimizer state entry that hold one value per class row (moments, momentum buffers)."""
    return sorted(k for k, v in state.items() if torch.is_tensor(v) and v.dim() > 0 and v.shape[0] == rows)


def _slice_full(tensor: torch.Tensor, head: ShardedClassifier, where: str, full: bool) -> torch.Tensor:
    """This process's rows of a checkpoint tensor that holds every class (or, for an old checkpoint, a shard)."""
    shard_rows = head.end - head.start
    if tensor.shape[0] == head.num_classes:
        return tensor[head.start:head.end]
    if full:
        raise ValueError(f'{where}: the checkpoint holds {tensor.shape[0]} classes, the model {head.num_classes}')
    if tensor.shape[0] == shard_rows and rank_and_world_size()[1] == 1:
        return tensor
    raise ValueError(f'{where}: the checkpoint holds {tensor.shape[0]} rows of {head.num_classes} classes, a '
                     f'single process\'s shard (written by rank 0 of a multi-process run without '
                     f'ShardedClassifierCheckpointHook); the other processes\' classes are not in it, so it cannot '
                     f'restore this process\'s shard [{head.start}, {head.end})')


@HOOKS.register_module()
class ShardedClassifierCheckpointHook(Hook):
    """Save the full classifier of every :class:`ShardedClassifier`; load this process's shard of it.

    ``before_save_checkpoint`` (run by every process) gathers the shards of the weight and bias and of their
    per-row optimizer state into the checkpoint and records ``meta['sharded_classifiers']`` (classes and the
    number of processes that wrote it); ``after_load_checkpoint`` (every process, before the model and optimizer
    load) cuts ``[start, end)`` of this process out of them. Resuming on the same number of processes restores
    every shard and its optimizer state exactly; another number of processes gets its shards cut from the same
    full matrix. A checkpoint that holds one shard only (written without this hook) is an error naming the
    parameter, unless one process holds all classes.
    """

    priority = 'VERY_HIGH'  # slice before any other hook looks at the loaded state

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Replace each shard in ``checkpoint`` by the full tensor (every process must call this)."""
        heads = sharded_classifiers(runner.model)
        if not heads:
            return
        _, world = rank_and_world_size()
        index = _optimizer_index(runner)
        opt_state = checkpoint.get('optimizer', {}).get('state') if 'optimizer' in checkpoint else None
        meta = checkpoint.setdefault('meta', {}).setdefault(META_KEY, {})
        for prefix, head in heads.items():
            for name in head.ddp_ignored_names:
                param = getattr(head, name)
                checkpoint['state_dict'][f'{prefix}.{name}'] = gather_shards(param.detach()).cpu()
                if opt_state is None or index is None or id(param) not in index:
                    continue
                live = runner.optim_wrapper.optimizer.state.get(param, {})
                entry = dict(opt_state.get(index[id(param)], {}))  # a copy: it may be the live state's dict
                for key in _row_states(live, param.shape[0]):
                    entry[key] = gather_shards(live[key].detach()).cpu()
                if entry:
                    opt_state[index[id(param)]] = entry
            meta[prefix] = dict(num_classes=head.num_classes, world_size=world)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Replace each full tensor in ``checkpoint`` by this process's shard of it."""
        heads = sharded_classifiers(runner.model)
        if not heads:
            return
        saved = checkpoint.get('meta', {}).get(META_KEY, {}) if isinstance(checkpoint.get('meta'), dict) else {}
        state_dict = checkpoint.get('state_dict', checkpoint)
        index = _optimizer_index(runner)
        opt_state = checkpoint['optimizer'].get('state') if isinstance(checkpoint.get('optimizer'), dict) else None
        for prefix, head in heads.items():
            full = prefix in saved
            for name in head.ddp_ignored_names:
                param = getattr(head, name)
                key = next((k for k in (f'{prefix}.{name}', f'module.{prefix}.{name}') if k in state_dict), None)
                if key is None:
                    continue
                rows = state_dict[key].shape[0]
                state_dict[key] = _slice_full(state_dict[key], head, f'checkpoint key {key!r}', full)
                if opt_state is None or index is None or id(param) not in index:
                    continue
                if index[id(param)] not in opt_state:
                    continue
                entry = dict(opt_state[index[id(param)]])
                for state_key in _row_states(entry, rows):
                    entry[state_key] = _slice_full(entry[state_key], head,
                                                   f'optimizer state {state_key!r} of {key!r}', full)
                opt_state[index[id(param)]] = entry


__all__ = ['ShardedClassifierCheckpointHook', 'gather_shards', 'sharded_classifiers']
