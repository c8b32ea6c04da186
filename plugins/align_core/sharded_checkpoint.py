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
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.registry import HOOKS
from torch import nn

from .distributed import rank_and_world_size
from .sharded_classifier import ShardedClassifier, _gather_rows

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
    return shard if rank_and_world_size()[1] == 1 else _gather_rows(shard)


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

    mmengine writes a checkpoint from rank 0 alone (``Runner.save_checkpoint`` is master-only), so the shards are
    gathered earlier, by every process: in ``after_train_iter`` / ``after_train_epoch`` whenever the
    ``CheckpointHook`` is about to save (this hook runs before it), the weight and bias shards and their per-row
    optimizer state (e.g. Adam's moments) are all-gathered, and rank 0 puts them into the checkpoint in
    ``before_save_checkpoint``, with ``meta['sharded_classifiers']`` (classes, number of processes).
    ``after_load_checkpoint`` (every process, before the model and the optimizer load) cuts ``[start, end)`` of
    this process out of them. Resuming on the same number of processes restores every shard and its optimizer state
    exactly; another number of processes gets its shards cut from the same full matrix. A checkpoint that holds one
    shard only is an error naming the parameter, unless one process holds all classes.
    """

    priority = 'NORMAL'  # after the optimizer step, before CheckpointHook (VERY_LOW) saves

    def __init__(self) -> None:
        self._pending: Dict[tuple, torch.Tensor] = {}

    def _checkpoint_hook(self, runner):
        from mmengine.hooks import CheckpointHook
        return next((h for h in getattr(runner, 'hooks', []) if isinstance(h, CheckpointHook)), None)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Gather the shards when the checkpoint hook saves after this iteration."""
        ckpt = self._checkpoint_hook(runner)
        if ckpt is not None and not ckpt.by_epoch and (
                ckpt.every_n_train_iters(runner, ckpt.interval, getattr(ckpt, 'save_begin', 0))
                or (ckpt.save_last and ckpt.is_last_train_iter(runner))):
            self.gather(runner)

    def after_train_epoch(self, runner) -> None:
        """Gather the shards when the checkpoint hook saves after this epoch."""
        ckpt = self._checkpoint_hook(runner)
        if ckpt is not None and ckpt.by_epoch and (
                ckpt.every_n_epochs(runner, ckpt.interval, getattr(ckpt, 'save_begin', 0))
                or (ckpt.save_last and ckpt.is_last_train_epoch(runner))):
            self.gather(runner)

    def gather(self, runner) -> None:
        """All-gather every shard and its per-row optimizer state (every process must call this); rank 0 keeps
        them for the next ``before_save_checkpoint``."""
        heads = sharded_classifiers(runner.model)
        rank, world = rank_and_world_size()
        if not heads or world == 1:
            return
        index = _optimizer_index(runner)
        pending = {}
        for prefix, head in heads.items():
            for name in head.ddp_ignored_names:
                param = getattr(head, name)
                pending[('param', f'{prefix}.{name}')] = gather_shards(param.detach()).cpu()
                if index is None or id(param) not in index:
                    continue
                live = runner.optim_wrapper.optimizer.state.get(param, {})
                for key in _row_states(live, param.shape[0]):
                    pending[('optim', index[id(param)], key)] = gather_shards(live[key].detach()).cpu()
        self._pending = pending if rank == 0 else {}

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Put the gathered shards into the checkpoint (rank 0; mmengine saves from there only)."""
        heads = sharded_classifiers(runner.model)
        if not heads:
            return
        world = rank_and_world_size()[1]
        if world > 1 and not self._pending:
            raise RuntimeError('ShardedClassifierCheckpointHook: a checkpoint is being saved without the shards '
                               'gathered first (every process must call hook.gather(runner) before '
                               'runner.save_checkpoint; CheckpointHook saves are handled)')
        opt_state = checkpoint['optimizer'].get('state') if isinstance(checkpoint.get('optimizer'), dict) else None
        for key, full in self._pending.items():
            if key[0] == 'param':
                checkpoint['state_dict'][key[1]] = full
            elif opt_state is not None and key[1] in opt_state:
                opt_state[key[1]] = dict(opt_state[key[1]], **{key[2]: full})  # a copy: it may be the live dict
        self._pending = {}
        meta = checkpoint.setdefault('meta', {}).setdefault(META_KEY, {})
        for prefix, head in heads.items():
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
