"""SimCSE under tools/train.py: unsupervised on a real corpus and supervised on NLI triplets (a tiny BERT, loss
decreasing), STS validation, and the model's bad-input messages."""
import json
import re

import pytest
import torch

from conftest import REPO, run_tool
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

CONFIG = REPO / 'configs/text/simcse/simcse-unsup_minilm-l6_1xb32-150it_lee-news.py'


def losses(log: str) -> list:
    return [float(v) for v in re.findall(r'loss_contrastive: ([0-9.]+)', log)]


def common_options(model: str, iters: int) -> list:
    return [f'model.encoder.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
            f'val_dataloader.collate_fn.model_path={model}', 'val_dataloader.collate_fn.max_length=128',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'train_dataloader.batch_size=16',
            'optim_wrapper.optimizer.lr=1e-3', f'train_cfg.max_iters={iters}', f'param_scheduler.0.end={iters}',
            'default_hooks.logger.interval=1', 'log_processor.window_size=1']


def test_unsupervised_simcse_validates_every_few_iterations_and_keeps_the_best(tiny_bert, tmp_path):
    options = common_options(tiny_bert, 12) + ['train_cfg.val_interval=4', 'val_dataloader.dataset.indices=40',
                                               'default_hooks.checkpoint.interval=12',
                                               'default_hooks.checkpoint.save_best=sts/spearman',
                                               'default_hooks.checkpoint.rule=greater']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    values = losses(log)
    assert len(values) == 12 and sum(values[-3:]) / 3 < sum(values[:3]) / 3
    spearman = [float(v) for v in re.findall(r'sts/spearman: (-?[0-9.]+)', log)]
    assert len(spearman) == 3  # iterations 4, 8, 12
    best = 4 * (spearman.index(max(spearman)) + 1)
    assert [p.name for p in tmp_path.glob('best_sts_spearman_iter_*.pth')] == [f'best_sts_spearman_iter_{best}.pth']
    # the value logged at iteration 12 is the Spearman of the cosines of the 40 pairs, recomputed here
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from scipy.stats import spearmanr

    from align_core.checkpoint import safe_load
    from text_align.data import LeeDocumentSimilarity, tokenize_collate
    from text_align.registry import MODELS
    init_default_scope('text_align')
    cfg = Config.fromfile(CONFIG)
    cfg.model.encoder.model_path = tiny_bert
    model = MODELS.build(cfg.model)
    model.load_state_dict(safe_load(tmp_path / 'iter_12.pth')['state_dict'])
    model.eval()
    rows = [LeeDocumentSimilarity().get_data_info(i) for i in range(40)]
    batch = tokenize_collate(rows, tiny_bert, columns=('sentence1', 'sentence2'), max_length=128)
    with torch.no_grad():
        first, second = (model.encoder(**batch['inputs'][c]) for c in ('sentence1', 'sentence2'))
    cosines = torch.nn.functional.cosine_similarity(first, second).numpy()
    expected = 100 * spearmanr(cosines, [r['score'] for r in rows])[0]
    assert spearman[-1] == pytest.approx(expected, abs=2e-3)


def test_supervised_simcse_on_nli_triplets(tiny_bert, tmp_path):
    rows = [dict(anchor=f'a person number {i} is walking a dog', positive=f'someone {i} walks a pet',
                 negative=f'nobody {i} has an animal') for i in range(64)]
    data = tmp_path / 'nli.jsonl'
    data.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    config = tmp_path / 'simcse_sup.py'
    config.write_text(f"_base_ = '{CONFIG}'\n"
                      "columns = ('anchor', 'positive', 'negative')\n"
                      f"train_dataloader = dict(dataset=dict(_delete_=True, type='TextPairDataset', ann_file='{data}',"
                      " columns=columns), collate_fn=dict(columns=columns))\n")
    options = common_options(tiny_bert, 10) + ['train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=10']
    result = run_tool(['tools/train.py', config, '--work-dir', tmp_path / 'work', '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    values = losses(result.stdout + result.stderr)
    assert len(values) == 10 and values[-1] < values[0]


def test_missing_columns_are_named(tiny_bert):
    from mmengine.registry import init_default_scope

    from text_align.registry import MODELS
    init_default_scope('text_align')
    model = MODELS.build(dict(type='SimCSE', encoder=dict(type='TextEncoder', model_path=tiny_bert)))
    tokens = model.encoder.tokenize(['a', 'b'])
    with pytest.raises(KeyError, match='"text" column .* got .*query'):
        model(dict(query=tokens), mode='loss')
    assert model(dict(text=tokens), mode='tensor').shape == (2, 32)
    with torch.no_grad():
        out = model(dict(sentence1=tokens, sentence2=tokens), [dict(score=1.0), dict(score=2.0)], mode='predict')
    assert out[0]['similarity'] == pytest.approx(1.0, abs=1e-5)


def test_the_mlp_head_is_kept_at_test_time_only_with_mlp_in_eval(tiny_bert):
    from mmengine.registry import init_default_scope

    from text_align.registry import MODELS
    init_default_scope('text_align')
    encoder = dict(type='TextEncoder', model_path=tiny_bert)
    unsup = MODELS.build(dict(type='SimCSE', encoder=encoder, mlp_head=True)).eval()
    sup = MODELS.build(dict(type='SimCSE', encoder=encoder, mlp_head=True, mlp_in_eval=True)).eval()
    sup.load_state_dict(unsup.state_dict())
    tokens = unsup.encoder.tokenize(['a b', 'c d e'])
    with torch.no_grad():
        plain = unsup.encoder(**tokens)
        torch.testing.assert_close(unsup(dict(text=tokens), mode='tensor'), plain)
        torch.testing.assert_close(sup(dict(text=tokens), mode='tensor'), torch.tanh(sup.mlp[0](plain)))
    with pytest.raises(ValueError, match='mlp_in_eval=True needs mlp_head=True'):
        MODELS.build(dict(type='SimCSE', encoder=encoder, mlp_in_eval=True))


def test_grad_cache_training_under_tools_train(tiny_bert, tmp_path):
    options = common_options(tiny_bert, 4) + ['model.mini_batch_size=4', 'train_cfg.val_interval=100',
                                              'default_hooks.checkpoint.interval=4']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    # batch 16 in chunks of 4, two views: 8 re-encoded mini-batches per step, a value only GradCache's step logs
    assert re.findall(r'grad_cache_passes: ([0-9.]+)', log) == ['8.0000'] * 4


def test_paper_configs_follow_the_published_recipes():
    from mmengine.config import Config
    unsup = Config.fromfile(REPO / 'configs/text/simcse/simcse-unsup_bert-base_1xb64-1e_wiki1m.py')
    assert unsup.train_cfg.type == 'IterBasedTrainLoop' and unsup.train_cfg.val_interval == 125  # --eval_steps 125
    assert unsup.train_cfg.max_iters == 15625 == unsup.param_scheduler[0].end  # 1M sentences / 64, one epoch
    checkpoint = unsup.default_hooks.checkpoint
    assert (checkpoint.by_epoch, checkpoint.save_best, checkpoint.rule) == (False, 'sts/spearman', 'greater')
    assert (unsup.train_dataloader.batch_size, unsup.optim_wrapper.optimizer.lr) == (64, 3e-5)
    assert unsup.model.mlp_head and not unsup.model.get('mlp_in_eval', False)  # --mlp_only_train
    sup = Config.fromfile(REPO / 'configs/text/simcse/simcse-sup_bert-base_4xb128-3e_nli.py')
    assert sup.train_dataloader.batch_size == 128 and sup.model.mlp_in_eval  # x 4 GPUs; --pooler_type cls
    assert (sup.optim_wrapper.optimizer.lr, sup.train_cfg.max_epochs) == (5e-5, 3)
    assert unsup.model_wrapper_cfg.type == sup.model_wrapper_cfg.type == 'OwnTrainStepDDP'
