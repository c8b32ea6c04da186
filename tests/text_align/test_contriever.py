"""Contriever: crop statistics, the queue and the momentum encoder, and training under tools/train.py."""
import re

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from text_align.data import independent_crops_collate, random_crop
from text_align.registry import MODELS
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

CONFIG = REPO / 'configs/text/contriever/contriever_minilm-l6_1xb32-100it_lee-news.py'


def test_crops_are_spans_of_the_requested_length_with_deletions():
    rng = np.random.default_rng(0)
    ids = list(range(1000, 1256))
    no_deletion = [random_crop(ids, rng, 0.05, 0.5, 0.0) for _ in range(500)]
    lengths = np.array([len(c) for c in no_deletion])
    assert lengths.min() >= int(0.05 * 256) and lengths.max() <= int(0.5 * 256)  # upstream: int(len * ratio)
    assert all(len(random_crop(ids, np.random.default_rng(i), 0.3, 0.3, 0.0)) == 76 for i in range(5))  # not 77
    assert abs(lengths.mean() - 0.275 * 256) < 5  # uniform fraction in [0.05, 0.5]
    assert all(c == list(range(c[0], c[0] + len(c))) for c in no_deletion)  # contiguous
    with_deletion = [random_crop(ids, np.random.default_rng(i), 0.5, 0.5, 0.1) for i in range(300)]
    kept = np.mean([len(c) / 128 for c in with_deletion])
    assert abs(kept - 0.9) < 0.01


def test_collate_returns_two_independent_crops_of_each_document(tiny_bert):
    rows = [dict(text=' '.join(f'word{i}' for i in range(300))), dict(text='short text')]
    batch = independent_crops_collate(rows, tiny_bert, chunk_length=64, seed=3)
    query, key = batch['inputs']['query'], batch['inputs']['key']
    assert query['input_ids'].shape[0] == key['input_ids'].shape[0] == 2
    assert query['input_ids'][0, 0].item() == 101  # [CLS] added around each crop
    assert not torch.equal(query['input_ids'][0], key['input_ids'][0])


def test_corpus_is_one_token_stream_cut_into_full_chunks(tiny_bert, tmp_path):
    from transformers import AutoTokenizer

    from text_align.data import TokenChunkCorpus
    lines = [f'line {i} says ' + ' '.join(f'w{i}x{j}' for j in range(i % 7 + 1)) for i in range(40)]
    (tmp_path / 'corpus.txt').write_text('\n'.join(lines) + '\n')
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    stream = [t for line in lines for t in tokenizer(line, add_special_tokens=False)['input_ids']]
    corpus = TokenChunkCorpus(str(tmp_path / 'corpus.txt'), tiny_bert, chunk_length=32, offset=5)
    chunks = [corpus.get_data_info(i)['input_ids'] for i in range(len(corpus))]
    assert len(chunks) == (len(stream) - 5) // 32 and all(len(c) == 32 for c in chunks)
    assert [t for c in chunks for t in c] == stream[5:5 + 32 * len(chunks)]  # across line boundaries, no specials
    batch = independent_crops_collate([corpus.get_data_info(0)], tiny_bert, ratio_min=0.5, ratio_max=0.5,
                                      deletion=0.0, seed=1)
    crop = batch['inputs']['query']['input_ids'][0].tolist()
    assert len(crop) == 16 + 2 and crop[0] == 101 and crop[-1] == 102
    assert any(crop[1:-1] == chunks[0][s:s + 16] for s in range(17))  # a span of the chunk itself
    with pytest.raises(ValueError, match='fewer than one chunk'):
        TokenChunkCorpus(str(tmp_path / 'corpus.txt'), tiny_bert, chunk_length=len(stream) + 1, offset=0)


def test_paper_config_uses_upstream_optimiser_and_data():
    from mmengine.config import Config
    cfg = Config.fromfile(REPO / 'configs/text/contriever/contriever_bert-base_32xb64-500k_wiki-ccnet.py')
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'clip_grad' not in cfg.optim_wrapper  # fp32, no clipping
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, tuple(optimizer.betas), optimizer.eps, optimizer.weight_decay) == \
        ('AdamW', 5e-5, (0.9, 0.98), 1e-6, 0.01)
    assert cfg.train_dataloader.dataset.type == 'TokenChunkCorpus' and cfg.train_dataloader.dataset.chunk_length == 256
    assert (cfg.model.queue_size, cfg.model.momentum, cfg.model.temperature) == (131072, 0.9995, 0.05)


def test_step_updates_queue_and_momentum_encoder(tiny_bert):
    init_default_scope('text_align')
    model = MODELS.build(dict(type='Contriever', encoder=dict(type='TextEncoder', model_path=tiny_bert),
                              queue_size=6, momentum=0.9))
    model.init_weights()
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.add_(0.1)
    key_before = [p.clone() for p in model.key_encoder.parameters()]
    online = [p.clone() for p in model.encoder.parameters()]
    batch = independent_crops_collate([dict(text=f'document number {i} about topic {i}') for i in range(4)],
                                      tiny_bert, seed=0)
    out = model(batch['inputs'], mode='loss')
    out['loss_moco'].backward()
    assert out['queue_filled'].item() == 4 and int(model.queue.pointer) == 4
    for before, now, q in zip(key_before, model.key_encoder.parameters(), online):
        torch.testing.assert_close(now, 0.9 * before + 0.1 * q)
        assert now.grad is None
    model(batch['inputs'], mode='loss')
    assert int(model.queue.filled) == 6 and int(model.queue.pointer) == 2  # wrapped around


def test_trains_under_tools_train(tiny_bert, tmp_path):
    options = [f'model.encoder.model_path={tiny_bert}', f'train_dataloader.collate_fn.model_path={tiny_bert}',
               f'train_dataloader.dataset.model_path={tiny_bert}', 'train_dataloader.dataset.chunk_length=64',
               'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'train_dataloader.batch_size=16',
               'optim_wrapper.optimizer.lr=1e-3', 'model.queue_size=64', 'train_cfg.max_iters=12',
               'param_scheduler.1.end=12', 'default_hooks.logger.interval=1', 'log_processor.window_size=1',
               'default_hooks.checkpoint.interval=12']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert len(re.findall(r'loss_moco: ([0-9.]+)', log)) == 12
    assert 'queue_filled: 64' in log
