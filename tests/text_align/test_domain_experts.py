"""Mixture-of-experts embeddings: experts start as copies (same output as the base encoder), each example only
uses its domain's expert, routing by field or domain token, and training under tools/train.py."""
import json
import re

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from text_align.registry import MODELS
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

DOMAINS = ['COPD', 'CVD', 'CANCER']


def build(path, **kwargs):
    init_default_scope('text_align')
    model = MODELS.build(dict(type='DomainExpertEncoder', encoder=dict(type='TextEncoder', model_path=path),
                              domains=DOMAINS, **kwargs))
    return model.eval()


def test_experts_start_as_copies_and_route_per_example(tiny_bert):
    model = build(tiny_bert, num_moe_layers=2)
    base = MODELS.build(dict(type='TextEncoder', model_path=tiny_bert)).eval()
    texts = ['lung function declined', 'blood pressure rose', 'tumour markers fell']
    tokens = model.encoder.tokenize(texts)
    domains = torch.tensor([0, 1, 2])
    with torch.no_grad():
        torch.testing.assert_close(model.embed(tokens, domains), base(**tokens))
        before = model.embed(tokens, domains)
        for expert in model.encoder.backbone.encoder.layer[-1].output.experts[1].parameters():
            expert.add_(0.5)  # change the CVD expert only
        after = model.embed(tokens, domains)
    assert torch.equal(after[0], before[0]) and torch.equal(after[2], before[2])
    assert not torch.allclose(after[1], before[1])


def test_domain_from_field_or_leading_token(tiny_bert):
    model = build(tiny_bert)
    ids = model.domain_ids([dict(domain='CANCER'), dict(domain=1), dict(anchor='[COPD] airway text')])
    assert ids.tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match='no domain field'):
        model.domain_ids([dict(anchor='plain text')])
    with pytest.raises(ValueError, match="'LIVER' is not one of"):
        model.domain_ids([dict(domain='LIVER')])
    assert model.encode(['a b c'], domain='CVD').shape == (1, 32)
    tokens = model.encoder.tokenize(['a b c', 'd e'])
    with torch.no_grad():
        per_row = model.embed(tokens, torch.tensor([1, 1])).numpy()
    np.testing.assert_allclose(model.encode(['a b c', 'd e'], domain='CVD'), per_row, atol=1e-6)


def test_trains_under_tools_train(tiny_bert, tmp_path):
    rows = [dict(anchor=f'{d.lower()} study {i} finds effect {i % 4}', positive=f'{d.lower()} paper {i} reports '
                 f'effect {i % 4}', domain=d) for d in DOMAINS for i in range(24)]
    data = tmp_path / 'pairs.jsonl'
    data.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    config = tmp_path / 'moe.py'
    config.write_text(
        f"_base_ = '{REPO}/configs/text/moe/moe-mnr_minilm-l6_1xb16-200it_domain-pairs.py'\n"
        f"model = dict(encoder=dict(model_path='{tiny_bert}'))\n"
        f"train_dataloader = dict(num_workers=0, persistent_workers=False, collate_fn=dict(model_path='{tiny_bert}'),"
        f" dataset=dict(ann_file='{data}'))\n")
    result = run_tool(['tools/train.py', config, '--work-dir', tmp_path / 'work', '--cfg-options',
                       'train_cfg.max_iters=10', 'param_scheduler.0.end=10', 'optim_wrapper.optimizer.lr=1e-3',
                       'default_hooks.logger.interval=1', 'log_processor.window_size=1',
                       'default_hooks.checkpoint.interval=10'])
    assert result.returncode == 0, result.stderr[-3000:]
    values = [float(v) for v in re.findall(r'loss_mnr: ([0-9.]+)', result.stdout + result.stderr)]
    assert len(values) == 10 and sum(values[-3:]) < sum(values[:3])
