"""The B-PROP fine-tuning and RTD configs that inherit their shared settings from ``_base_`` files: each leaf resolves
to its full settings (the values it had before the bases were factored out), and each model builds."""
import pytest
import torch

from conftest import REPO
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

BPROP = REPO / 'configs/text/bprop'
RTD = REPO / 'configs/text/rtd'
MINILM = 'shipped:all-MiniLM-L6-v2'
ROOT = 'data/bprop_lee/beir'
OPTIM_2E5 = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.01))
DECAY_40 = [dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=0, end=40)]


def load(path):
    from mmengine.config import Config
    return Config.fromfile(str(path)).to_dict()


def test_bprop_biencoder_resolves_to_its_full_settings():
    cfg = load(BPROP / 'bprop-biencoder_minilm-l6_1xb16-40it_lee-lead.py')
    assert cfg['model'] == dict(type='SimCSE', loss=dict(type='InBatchInfoNCELoss', temperature=0.05),
                                encoder=dict(type='TextEncoder', model_path=MINILM, pooling='mean', normalize=True,
                                             max_length=128))
    assert cfg['train_dataloader'] == dict(
        batch_size=16, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
        collate_fn=dict(type='tokenize_collate', model_path=MINILM, columns=('anchor', 'positive', 'negative'),
                        max_length=128),
        dataset=dict(type='BEIRRankingGroups', folder=ROOT, split='train', num_negatives=1, bm25_top_k=30))
    assert cfg['val_dataloader'] == cfg['test_dataloader'] == dict(
        batch_size=32, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='tokenize_collate', model_path=MINILM, columns=('text', ), max_length=128),
        dataset=dict(type='BEIRDataset', folder=ROOT, split='test'))
    assert cfg['val_evaluator'] == cfg['test_evaluator'] == dict(type='RetrievalMetric', folder=ROOT, split='test')
    assert (cfg['optim_wrapper'], cfg['param_scheduler']) == (OPTIM_2E5, DECAY_40)
    assert cfg['train_cfg'] == dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)
    assert cfg['default_scope'] == 'text_align' and cfg['default_hooks']['checkpoint']['interval'] == 40


def test_bprop_rerank_resolves_to_its_full_settings():
    cfg = load(BPROP / 'bprop-rerank_minilm-l6_1xb4x4-40it_lee-lead.py')
    collate = dict(type='cross_encoder_collate', model_path=MINILM, max_length=128)
    assert cfg['model'] == dict(type='CrossEncoderReranker', model_path=MINILM, loss='pairwise', margin=1.0)
    assert cfg['train_dataloader'] == dict(
        batch_size=4, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True), collate_fn=collate,
        dataset=dict(type='BEIRRankingGroups', folder=ROOT, split='train', num_negatives=3, bm25_top_k=30))
    assert cfg['val_dataloader'] == cfg['test_dataloader'] == dict(
        batch_size=32, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=collate,
        dataset=dict(type='BEIRRerankPairs', folder=ROOT, split='test', top_k=10))
    assert cfg['val_evaluator'] == cfg['test_evaluator'] == dict(type='RerankMetric', folder=ROOT, split='test')
    assert (cfg['optim_wrapper'], cfg['param_scheduler']) == (OPTIM_2E5, DECAY_40)
    assert cfg['train_cfg'] == dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)


ELECTRA = dict(generator_depth=1.0, mask_probability=0.15, mask_token_fraction=0.85, sampling_temperature=1.0,
               generator_weight=1.0, discriminator_weight=50.0, contrastive_weight=1.0,
               contrastive_loss=dict(type='InBatchInfoNCELoss', temperature=0.05))


@pytest.mark.parametrize('name, path, pooling, length, width, batch, lr, warmup, iters', [
    ('rtd-contrastive_electra-base-recipe_1xb256-766k_corpus', 'data/models/discriminator-base', 'cls', 512, 1 / 3,
     256, 2e-4, (1e-4, 10000), 766000),
    ('rtd-contrastive_tiny-bert_1xb32-200it_lee-background', 'work_dirs/rtd_demo/tiny-bert-random', 'mean', 48, 0.25,
     32, 5e-4, (1e-3, 30), 200),
    ('rtd-only_tiny-bert_1xb32-200it_lee-background', 'work_dirs/rtd_demo/tiny-bert-random', 'mean', 48, 0.25,
     32, 5e-4, (1e-3, 30), 200)])
def test_rtd_configs_resolve_to_their_full_settings(name, path, pooling, length, width, batch, lr, warmup, iters):
    cfg = load(RTD / f'{name}.py')
    objective = dict(ELECTRA, contrastive_weight=0.0 if name.startswith('rtd-only') else 1.0)
    assert cfg['model'] == dict(type='RTDContrastive', generator_width=width, **objective, encoder=dict(
        type='TextEncoder', model_path=path, pooling=pooling, normalize=False, max_length=length))
    loader = cfg['train_dataloader']
    assert loader['batch_size'] == batch and loader['sampler'] == dict(type='InfiniteSampler', shuffle=True)
    assert loader['collate_fn'] == dict(type='tokenize_collate', model_path=path, columns=('text', ),
                                        max_length=length)
    assert loader['dataset']['type'] == 'SentenceCorpus'
    assert cfg['optim_wrapper'] == dict(type='OptimWrapper', clip_grad=dict(max_norm=1.0),
                                        optimizer=dict(type='AdamW', lr=lr, weight_decay=0.01, eps=1e-6))
    assert cfg['param_scheduler'] == [
        dict(type='LinearLR', start_factor=warmup[0], end_factor=1.0, by_epoch=False, begin=0, end=warmup[1]),
        dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False, begin=warmup[1], end=iters)]
    assert cfg['train_cfg'] == dict(type='IterBasedTrainLoop', max_iters=iters)


@pytest.mark.parametrize('path', [BPROP / 'bprop-biencoder_minilm-l6_1xb16-40it_lee-lead.py',
                                  BPROP / 'bprop-rerank_minilm-l6_1xb4x4-40it_lee-lead.py',
                                  RTD / 'rtd-contrastive_electra-base-recipe_1xb256-766k_corpus.py'])
def test_the_inherited_models_build(tiny_bert, path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from text_align.registry import MODELS
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    model_cfg = cfg.model.to_dict()
    if 'encoder' in model_cfg:
        model_cfg['encoder']['model_path'] = tiny_bert
    else:
        model_cfg['model_path'] = tiny_bert
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    if cfg.model.type == 'RTDContrastive':  # the base's ELECTRA objective reached the model
        assert (model.mask_probability, model.mask_token_fraction, model.generator_weight,
                model.discriminator_weight, model.contrastive_weight) == (0.15, 0.85, 1.0, 50.0, 1.0)
        assert type(model.criterion).__name__ == 'InBatchInfoNCELoss'
        assert float(model.criterion.scale()) == pytest.approx(1 / 0.05)  # the base's temperature 0.05
    elif cfg.model.type == 'SimCSE':
        assert type(model.criterion).__name__ == 'InBatchInfoNCELoss' and model.mlp is None
    else:
        assert (model.loss_type, model.margin) == ('pairwise', 1.0)
