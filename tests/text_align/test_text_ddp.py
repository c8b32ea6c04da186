"""Every text method family trains on 2 CPU processes (gloo) under ``tools/train.py --launcher pytorch`` with both
ranks ending with identical weights, and GradCache under DDP (``OwnTrainStepDDP``) has the full-batch gradient."""
import copy
import json
import re

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from conftest import REPO, equal_rank_states, free_port, join_gloo_group, train_two_processes
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

SIMCSE = REPO / 'configs/text/simcse/simcse-unsup_minilm-l6_1xb32-150it_lee-news.py'
DEBCSE = REPO / 'configs/text/debcse/debcse-unsup_minilm-l6_1xb32-150it_lee-news.py'
CONTRIEVER = REPO / 'configs/text/contriever/contriever_minilm-l6_1xb32-100it_lee-news.py'
MOE = REPO / 'configs/text/moe/moe-mnr_minilm-l6_1xb16-200it_domain-pairs.py'
ITERS = 3


def _common(model: str) -> list:
    return [f'model.encoder.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'train_dataloader.batch_size=8', 'optim_wrapper.optimizer.lr=1e-3', f'train_cfg.max_iters={ITERS}',
            f'default_hooks.checkpoint.interval={ITERS}', 'default_hooks.logger.interval=1',
            'log_processor.window_size=1']


def _family(name: str, model: str, tmp_path) -> tuple:
    """(config, --cfg-options) of one method family on the tiny BERT."""
    sentences = _common(model) + [f'val_dataloader.collate_fn.model_path={model}', 'train_cfg.val_interval=1000',
                                  'val_dataloader.collate_fn.max_length=128', 'val_dataloader.dataset.indices=8',
                                  f'param_scheduler.0.end={ITERS}', 'train_dataloader.dataset.max_items=256']
    if name == 'simcse-gradcache':
        return SIMCSE, sentences + ['model.mini_batch_size=3']
    if name == 'debcse':
        return DEBCSE, sentences
    if name == 'contriever':
        return CONTRIEVER, _common(model) + [f'train_dataloader.dataset.model_path={model}',
                                             'train_dataloader.dataset.chunk_length=48', 'model.queue_size=64']
    rows = [dict(anchor=f'{d.lower()} study {i} finds effect {i % 4}', positive=f'{d.lower()} paper {i} reports '
                 f'effect {i % 4}', domain=d) for d in ('COPD', 'CVD', 'CANCER') for i in range(16)]
    data = tmp_path / 'pairs.jsonl'
    data.write_text(''.join(json.dumps(r) + '\n' for r in rows))  # 3 of the 5 domains: two experts get no row
    return MOE, _common(model) + [f'train_dataloader.dataset.ann_file={data}', f'param_scheduler.0.end={ITERS}']


# SimCSE is run with GradCache (OwnTrainStepDDP path, gathered negatives) and DebCSE, a SimCSE subclass, without
# it (mmengine's DDP path), so both paths of the SimCSE family run in 4 launches
@pytest.mark.parametrize('family', ['simcse-gradcache', 'debcse', 'contriever', 'moe'])
def test_every_text_family_trains_on_two_processes_in_sync(family, tiny_bert, tmp_path):
    from transformers import BertModel
    config, options = _family(family, tiny_bert, tmp_path)
    work = train_two_processes(config, options, tmp_path)
    rank0 = equal_rank_states(work)
    start = BertModel.from_pretrained(tiny_bert).state_dict()
    trained = {k.split('backbone.', 1)[1]: v for k, v in rank0.items() if k.startswith('encoder.backbone.')}
    assert not torch.equal(trained['embeddings.word_embeddings.weight'], start['embeddings.word_embeddings.weight'])
    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    if family == 'simcse-gradcache':  # 8 rows per rank in chunks of 3, two views: 6 passes with a graph per step
        assert re.findall(r'grad_cache_passes: ([0-9.]+)', log) == ['6.0000'] * ITERS


def _grad_cache_worker(rank: int, world: int, port: int, model, batch, out) -> None:
    from mmengine.optim import OptimWrapper

    from align_core.train_step_ddp import OwnTrainStepDDP
    join_gloo_group(rank, world, port)
    model = copy.deepcopy(model)  # spawn hands the processes shared parameter memory; each needs its own
    try:
        half = len(batch['data_samples']) // world
        rows = slice(rank * half, (rank + 1) * half)
        local = dict(inputs={c: {k: v[rows] for k, v in t.items()} for c, t in batch['inputs'].items()},
                     data_samples=batch['data_samples'][rows])
        wrapped = OwnTrainStepDDP(model, device_ids=None, broadcast_buffers=False)
        before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
        log = wrapped.train_step(local, optim)
        out[rank] = ({n: before[n] - p.detach() for n, p in model.named_parameters() if n in before},
                     float(log['grad_cache_passes']))
    finally:
        dist.destroy_process_group()


def test_grad_cache_under_ddp_has_the_full_batch_gradient(tiny_bert):
    from mmengine.registry import init_default_scope

    from text_align.data import tokenize_collate
    from text_align.registry import MODELS
    init_default_scope('text_align')
    model = MODELS.build(dict(type='SimCSE', encoder=dict(type='TextEncoder', model_path=tiny_bert),
                              mlp_head=True, mini_batch_size=2)).train()
    for module in model.modules():  # no dropout: the reference pass and the mini-batches see the same network
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    texts = [f'sentence {i} about topic {i % 3} and more' for i in range(8)]
    batch = tokenize_collate([dict(text=t) for t in texts], tiny_bert, columns=('text', ), max_length=16)
    reference = copy.deepcopy(model)
    reference.criterion.gather = False
    reference.loss(batch['inputs'])['loss_contrastive'].backward()  # one process, the whole batch of 8
    out = mp.Manager().dict()
    mp.spawn(_grad_cache_worker, args=(2, free_port(), model, batch, out), nprocs=2, join=True)
    for rank in (0, 1):
        delta, passes = out[rank]
        assert passes == 4  # 4 rows per rank in chunks of 2, two views: the GradCache path ran
        assert len(delta) > 10
        for name, value in delta.items():  # SGD with lr 1: the update is minus the averaged gradient
            expected = dict(reference.named_parameters())[name].grad
            if expected.norm() > 1e-9:  # (the attention key biases get a gradient of 0 up to rounding)
                # float32 rounding of the tiny update leaves ~0.1%; summing the ranks or not syncing is off by >= 50%
                assert (value - expected).norm() <= 1e-2 * expected.norm(), name
