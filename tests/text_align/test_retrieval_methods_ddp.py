"""CCP (two languages, per-language memory bank gathered across processes), B-PROP (ROP + MLM, a shared attention
cache) and SyCL (WS2 on graded lists) each train on 2 CPU processes (gloo) under ``tools/train.py --launcher
pytorch`` with both ranks ending with identical weights that differ from the start."""
import json
import runpy
import sys

import pytest
import torch

from conftest import REPO, equal_rank_states, train_two_processes
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

ITERS = 3
CCP = REPO / 'configs/text/ccp/ccp_minilm-l6_1xb32-100it_lee-windows.py'
BPROP = REPO / 'configs/text/bprop/bprop_minilm-l6_1xb8-40it_lee.py'
SYCL = REPO / 'configs/text/sycl/sycl-ws2_minilm-l6_1xb8-60it_lee-graded.py'
COMMON = ['train_dataloader.num_workers=0', 'optim_wrapper.optimizer.lr=1e-3', f'train_cfg.max_iters={ITERS}',
          f'param_scheduler.0.end={ITERS}', f'default_hooks.checkpoint.interval={ITERS}',
          'default_hooks.logger.interval=1', 'log_processor.window_size=1']


def _options(family: str, model: str, tmp_path, monkeypatch) -> tuple:
    if family == 'ccp':
        docs = [dict(text=' '.join(f'Sentence {j} of {lang} document {i} talks about topic {i}.' for j in range(5)),
                     language=lang) for i in range(8) for lang in ('en', 'de')]
        data = tmp_path / 'docs.jsonl'
        data.write_text(''.join(json.dumps(d) + '\n' for d in docs))
        return CCP, COMMON + [f'model.encoder.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
                              f'val_dataloader.collate_fn.model_path={model}', 'val_dataloader.collate_fn.max_length=128',
                              'val_dataloader.dataset.indices=8', f'train_dataloader.dataset.ann_file={data}', "train_dataloader.dataset.languages=['en','de']",
                              'model.num_languages=2', 'model.bank_size=16', 'train_dataloader.batch_size=6']
    if family == 'bprop':
        data = tmp_path / 'docs.txt'
        data.write_text(''.join(f'document {i} about storms markets coast town cats rain news sport weather politics '
                                f'{i} again\n' for i in range(8)))
        return BPROP, COMMON + [f'model.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
                                f'train_dataloader.dataset.model_path={model}', f'train_dataloader.dataset.ann_file={data}',
                                f'train_dataloader.dataset.cache_file={tmp_path}/attention.json',
                                'train_dataloader.batch_size=2', 'train_dataloader.collate_fn.max_length=48',
                                'train_dataloader.dataset.max_length=48']
    graded = tmp_path / 'lee'
    monkeypatch.setattr(sys, 'argv', ['make_graded_lee.py', str(graded), '--max-docs', '20', '--queries-per-doc', '2'])
    runpy.run_path(str(REPO / 'tools/text/make_graded_lee.py'), run_name='__main__')
    return SYCL, COMMON + [f'model.encoder.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
                           f'val_dataloader.collate_fn.model_path={model}', 'train_cfg.val_interval=1000',
                           f'train_dataloader.dataset.ann_file={graded}/train.jsonl',
                           f'val_dataloader.dataset.folder={graded}/beir', f'val_evaluator.folder={graded}/beir',
                           'train_dataloader.batch_size=4']


@pytest.mark.parametrize('family', ['ccp', 'bprop', 'sycl'])
def test_retrieval_method_trains_on_two_processes_with_equal_ranks(family, tiny_bert, tmp_path, monkeypatch):
    from transformers import BertModel
    config, options = _options(family, tiny_bert, tmp_path, monkeypatch)
    work = train_two_processes(config, options, tmp_path)
    rank0 = equal_rank_states(work)
    word = next(k for k in rank0 if k.endswith('embeddings.word_embeddings.weight'))
    start = BertModel.from_pretrained(tiny_bert).state_dict()['embeddings.word_embeddings.weight']
    assert not torch.equal(rank0[word], start)
    if family == 'ccp':  # the BN of the anchor side is trained (a parameter both ranks agree on)
        assert not torch.equal(rank0['bn.weight'], torch.ones_like(rank0['bn.weight']))
