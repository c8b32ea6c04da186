"""Every PixPro loss mix trains under plain DDP (2 CPU processes, gloo, ``find_unused_parameters=False``), as the
reference wraps its model: a module built but unused by the loss makes the second iteration fail."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement
from torch.nn.parallel import DistributedDataParallel

from conftest import free_port, join_gloo_group

MIXES = {
    'pixpro': dict(),
    'pixcontrast': dict(propagation=0.0, pixcontrast=1.0),
    'byol': dict(propagation=0.0, instance=1.0),
    'no-propagation': dict(propagation=0.0, pixcontrast=1.0, instance=1.0),
}
BOXES = [[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.4, 1.0]], [[0.1, 0.0, 0.9, 0.8], [0.7, 0.2, 0.2, 1.0]]]


def _train_two_steps(rank: int, weights: dict) -> torch.Tensor:
    """Two DDP steps of a tiny PixPro on this rank's batch; returns all parameters flattened."""
    from dense_align.registry import MODELS
    init_default_scope('dense_align')
    torch.manual_seed(0)  # the same initial weights on both ranks
    model = MODELS.build(dict(type='PixPro', backbone=dict(type='mmdet.ResNet', depth=18, out_indices=(3,),
                                                           base_channels=8, norm_eval=False),
                              in_channels=64, hidden_channels=16, out_channels=8, loss_weights=weights,
                              total_iters=2))
    model.init_weights()
    ddp = DistributedDataParallel(model, broadcast_buffers=False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    generator = torch.Generator().manual_seed(rank)
    samples = []
    for pair in BOXES:
        sample = BaseDataElement()
        sample.view_boxes = torch.tensor(pair)
        samples.append(sample)
    for _ in range(2):
        views = [torch.randint(0, 256, (2, 3, 64, 64), generator=generator, dtype=torch.uint8) for _ in BOXES]
        data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
        losses = ddp(**data, mode='loss')
        optimizer.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optimizer.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _worker(rank: int, world: int, port: int, out) -> None:
    join_gloo_group(rank, world, port)
    try:
        for mix, weights in MIXES.items():
            try:
                out[(mix, rank)] = _train_two_steps(rank, weights)
            except RuntimeError as err:  # DDP: "Expected to have finished reduction ..."
                out[(mix, rank)] = str(err).splitlines()[0]
                break  # the process group may be left mid-collective
    finally:
        dist.destroy_process_group()


def test_every_loss_mix_trains_under_ddp_without_unused_parameters():
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(2, free_port(), out), nprocs=2, join=True)
    for mix in MIXES:
        got = [out.get((mix, rank)) for rank in (0, 1)]
        assert all(isinstance(g, torch.Tensor) for g in got), f'{mix}: {got}'
        torch.testing.assert_close(got[0], got[1], rtol=0, atol=0)  # gradients were averaged across ranks
