"""DebCSE-style debiasing: surface similarity, inverse-propensity weights, false-negative down-weighting, re-sampled
positives, the weighted loss (equal to SimCSE's without weights), and training under tools/train.py."""
import re

import pytest
import torch

from conftest import REPO, run_tool
from text_align.losses import InBatchInfoNCELoss, debias_weights, inverse_propensity, surface_similarity
from text_align.methods import weighted_infonce
from tiny_bert import write_tiny_bert


def test_surface_similarity_mixes_word_overlap_and_length():
    sims = surface_similarity(['the cat sat', 'the cat sat', 'dogs run far', 'a much longer sentence of words here'])
    assert sims[0, 1] == pytest.approx(1.0)
    assert sims[0, 2] == pytest.approx(0.5)  # no shared word, same length
    assert sims[0, 3] == pytest.approx((0 + 3 / 7) / 2)


def test_rare_surface_levels_weigh_more_and_rows_average_one():
    surface = torch.full((5, 5), 0.55)
    surface[0, 4] = surface[4, 0] = 0.05  # one rare pair
    weights = inverse_propensity(surface, bins=10)
    assert torch.all(weights.diagonal() == 0)
    torch.testing.assert_close(weights.sum(dim=1) / 4, torch.ones(5))
    assert weights[0, 4] > weights[0, 1]


def test_false_negatives_are_muted_and_close_sentences_become_positives():
    surface = torch.full((4, 4), 0.5)
    semantic = torch.full((4, 4), 0.1)
    semantic.fill_diagonal_(1.0)
    semantic[0, 2] = semantic[2, 0] = 0.97  # near duplicate meaning
    weights, extra = debias_weights(surface, semantic, positive_at=0.95)
    assert weights[0, 2] == 0 and weights[2, 0] == 0  # re-sampled as positives, so not negatives
    assert extra.tolist() == [2, -1, 0, -1]
    weights, extra = debias_weights(surface, semantic, positive_at=0.99)
    assert extra is None and weights[0, 2] < 0.05 * weights[0, 1]  # still muted as a likely false negative


def test_a_pair_alone_in_its_bin_gets_at_most_max_weight():
    surface = torch.full((32, 32), 0.55)
    surface[0, 31] = surface[31, 0] = 0.05  # the only pair at its level: its propensity is 2 / (32 * 31)
    raw = 1 / (2 / 992)
    unclipped = raw / (raw + 30 * 992 / 990) * 31  # what normalising to mean 1 alone gives: about 29
    assert unclipped > 25
    weights = inverse_propensity(surface, bins=10)
    assert weights[0, 31].item() == pytest.approx(5.0) and weights.max().item() <= 5.0 + 1e-6
    torch.testing.assert_close(weights[0, 1:31], torch.full((30, ), 26 / 30))  # the excess spread over the others
    torch.testing.assert_close(weights.sum(dim=1), torch.full((32, ), 31.0))  # every row keeps mean 1
    assert inverse_propensity(surface, bins=10, max_weight=float('inf'))[0, 31].item() == pytest.approx(unclipped)
    with pytest.raises(ValueError, match='max_weight'):
        inverse_propensity(surface, max_weight=0.5)


def test_the_model_loss_is_the_debiased_one_in_forward_and_train_step(tmp_path):
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope

    from text_align.data import tokenize_collate
    from text_align.registry import MODELS
    init_default_scope('text_align')
    path = write_tiny_bert(tmp_path / 'tiny_bert')
    debias = dict(bins=4, false_negative_at=0.99, sharpness=0.02, positive_at=0.995, max_weight=3.0)
    model = MODELS.build(dict(type='DebCSE', encoder=dict(type='TextEncoder', model_path=path), debias=debias))
    model.train()
    for module in model.modules():  # identical views, so the expected loss can be recomputed
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    texts = ['a cat', 'the cat sat on the mat today', 'dogs', 'rain fell over the whole northern city all night',
             'a cat sat', 'markets rose', 'the mat', 'it was a long and quiet winter evening in the small town']
    batch = tokenize_collate([dict(text=t) for t in texts], path, columns=('text', ))
    with torch.no_grad():
        embeddings = model.encoder(**batch['inputs']['text'])
        unit = torch.nn.functional.normalize(embeddings, dim=-1)
        weights, extra = debias_weights(surface_similarity(texts), unit @ unit.t(), **debias)
        expected = weighted_infonce(embeddings, embeddings, weights, torch.tensor(20.0), extra)
        plain = InBatchInfoNCELoss(temperature=0.05, gather=False)(embeddings, embeddings)
        assert abs(expected - plain) > 1e-3  # the weights matter on this batch
        forward = model(batch['inputs'], batch['data_samples'], mode='loss')['loss_contrastive']
    torch.testing.assert_close(forward, expected, atol=1e-5, rtol=1e-5)
    step = model.train_step(batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    torch.testing.assert_close(step['loss_contrastive'], expected, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match='needs the text of each of the 8 rows'):  # never a silent SimCSE loss
        model(batch['inputs'], mode='loss')


def test_unweighted_loss_equals_simcse():
    queries, positives = torch.randn(6, 8), torch.randn(6, 8)
    ones = 1 - torch.eye(6)
    expected = InBatchInfoNCELoss(temperature=0.05, gather=False)(queries, positives)
    torch.testing.assert_close(weighted_infonce(queries, positives, ones, torch.tensor(20.0)), expected)


def test_debcse_trains_under_tools_train(tmp_path):
    model = write_tiny_bert(tmp_path / 'tiny_bert')
    config = REPO / 'configs/text/debcse/debcse-unsup_minilm-l6_1xb32-150it_lee-news.py'
    options = [f'model.encoder.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
               f'val_dataloader.collate_fn.model_path={model}', 'val_dataloader.collate_fn.max_length=128',
               'val_dataloader.dataset.indices=20',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               'train_dataloader.batch_size=16', 'optim_wrapper.optimizer.lr=1e-3', 'train_cfg.max_iters=16',
               'train_cfg.val_interval=100', 'param_scheduler.0.end=16', 'default_hooks.logger.interval=1',
               'log_processor.window_size=1', 'default_hooks.checkpoint.interval=16']
    result = run_tool(['tools/train.py', config, '--work-dir', tmp_path / 'work', '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    values = [float(v) for v in re.findall(r'loss_contrastive: ([0-9.]+)', result.stdout + result.stderr)]
    assert len(values) == 16 and sum(values[-4:]) < sum(values[:4])
