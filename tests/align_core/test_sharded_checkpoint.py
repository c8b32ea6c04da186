"""Checkpoints of a sharded classifier trained on 2 gloo processes hold every class (and its optimizer state);
resuming on 2 processes restores each rank's shard exactly, loading on 1 process gets the whole matrix, and a
checkpoint holding one shard only is refused with a clear error."""
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import weights_to_cpu
from torch import nn

from align_core.sharded_checkpoint import ShardedClassifierCheckpointHook
from align_core.sharded_classifier import ShardedClassifier
from conftest import free_port, join_gloo_group

NUM_CLASSES, DIM = 11, 4  # 2 processes: shards [0, 6) and [6, 11)


class Net(nn.Module):
    """A backbone (the same on every rank, frozen: there is no DDP here to keep it in step) and a sharded head."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Linear(3, DIM).requires_grad_(False)
        torch.manual_seed(seed)
        self.head = ShardedClassifier(NUM_CLASSES, DIM, bias=True)

    def step(self, wrapper: OptimWrapper, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(5, 3, generator=gen)
        labels = torch.randint(0, NUM_CLASSES, (5, 2), generator=gen)
        wrapper.update_params(self.head(self.backbone(x), labels))


def _build(seed: int):
    net = Net(seed)
    wrapper = OptimWrapper(torch.optim.AdamW(net.head.parameters(), lr=0.1))
    return net, wrapper, SimpleNamespace(model=net, optim_wrapper=wrapper)


def _snapshot(net: Net, wrapper: OptimWrapper) -> dict:
    state = wrapper.optimizer.state[net.head.weight]
    return dict(weight=net.head.weight.detach().clone(), bias=net.head.bias.detach().clone(),
                exp_avg=state['exp_avg'].clone(), exp_avg_sq=state['exp_avg_sq'].clone())


def _worker(rank: int, world: int, port: int, path: str, out: dict) -> None:
    join_gloo_group(rank, world, port)
    hook = ShardedClassifierCheckpointHook()
    net, wrapper, runner = _build(seed=rank)
    for step in range(3):
        net.step(wrapper, seed=10 * step + rank)
    hook.gather(runner)  # every process, as after_train_iter does before CheckpointHook saves
    if rank == 0:  # mmengine builds and writes the checkpoint on rank 0 only
        checkpoint = dict(meta={}, state_dict=weights_to_cpu(net.state_dict()),
                          optimizer={k: v for k, v in wrapper.state_dict().items()})
        assert torch.isnan(checkpoint['state_dict']['head.weight'][6:]).all()  # rank 0 holds no other rows
        hook.before_save_checkpoint(runner, checkpoint)
        torch.save(checkpoint, path)
    dist.barrier()
    before = _snapshot(net, wrapper)
    # resume into a differently initialised model and a fresh optimizer, as runner.resume does
    net2, wrapper2, runner2 = _build(seed=100 + rank)
    loaded = torch.load(path, map_location='cpu', weights_only=False)
    hook.after_load_checkpoint(runner2, loaded)
    net2.load_state_dict(loaded['state_dict'])
    wrapper2.load_state_dict(loaded['optimizer'])
    after = _snapshot(net2, wrapper2)
    net.step(wrapper, seed=99)  # one more step continues identically
    net2.step(wrapper2, seed=99)
    out[rank] = dict(before=before, after=after, shard=(net.head.start, net.head.end),
                     next_equal=torch.equal(net.head.weight, net2.head.weight))
    dist.destroy_process_group()


def test_two_process_checkpoint_restores_every_shard_and_loads_on_one_process(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), path, out), nprocs=2, join=True)
    assert out[0]['shard'] == (0, 6) and out[1]['shard'] == (6, 11)
    for rank in range(2):
        for key, value in out[rank]['before'].items():
            assert torch.equal(out[rank]['after'][key], value), (rank, key)
        assert out[rank]['next_equal']
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    assert checkpoint['meta']['sharded_classifiers'] == {'head': dict(num_classes=NUM_CLASSES, world_size=2)}
    full = torch.cat([out[0]['before']['weight'], out[1]['before']['weight']])
    assert torch.equal(checkpoint['state_dict']['head.weight'], full)
    # another number of processes: one process takes the whole matrix and its optimizer state
    net, wrapper, runner = _build(seed=5)
    ShardedClassifierCheckpointHook().after_load_checkpoint(runner, checkpoint)
    net.load_state_dict(checkpoint['state_dict'])
    wrapper.load_state_dict(checkpoint['optimizer'])
    assert torch.equal(net.head.weight.detach(), full)
    assert torch.equal(wrapper.optimizer.state[net.head.weight]['exp_avg'],
                       torch.cat([out[0]['before']['exp_avg'], out[1]['before']['exp_avg']]))


def test_a_single_shard_checkpoint_is_refused_by_name():
    nan_rows = Net(0).state_dict()
    nan_rows['head.weight'][6:] = float('nan')  # rank 0's state dict of a 2-process run, saved without the hook
    with pytest.raises(RuntimeError, match=r'rows \[0, 11\) are missing \(NaN\)'):
        Net(1).load_state_dict(nan_rows)
    net, _, runner = _build(seed=0)
    shard = {k: v for k, v in net.state_dict().items()}
    shard['head.weight'] = shard['head.weight'][:6]  # what rank 0 alone wrote before the hook
    with pytest.raises(RuntimeError, match=r'head.weight: the checkpoint holds 6 rows.*11 classes'):
        net.load_state_dict(shard)
    with pytest.raises(ValueError, match=r"'head.weight'.*holds 6 rows"):
        ShardedClassifierCheckpointHook().after_load_checkpoint(runner, dict(meta={}, state_dict=shard))
