"""SupReMix: the mixture rules (implied labels), the loss against a direct loop implementation, the Lee regression
data split by document, the label errors, the regression probe against scikit-learn / scipy, and a 2-process
``tools/train.py --launcher pytorch`` run with both ranks ending equal."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import REPO, equal_rank_states, train_two_processes
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

CONFIG = REPO / 'configs/text/supremix/supremix_minilm-l6_1xb12-20it_lee-doc-regression.py'


def _batch(seed: int = 0, n: int = 9, dim: int = 5):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=g, dtype=torch.float64)
    y = torch.tensor([0.2, 0.2, 0.28, 0.5, 0.36, 0.2, 0.9, 0.5, 0.28][:n], dtype=torch.float64)
    return z, y


def test_hard_positives_imply_the_anchor_label_and_bracket_it():
    from text_align.losses import anchor_exclusive_mixtures
    z, y = _batch()
    out = anchor_exclusive_mixtures(z, y, num=3)
    valid = out['valid']
    assert valid.any() and not valid.all()
    anchor = y[:, None].expand_as(out['implied'])
    assert torch.allclose(out['implied'][valid], anchor[valid], atol=1e-12)
    lower, upper = y[out['lower']], y[out['upper']]
    assert (lower[valid] < anchor[valid]).all() and (upper[valid] > anchor[valid]).all()
    assert ((out['lam'][valid] > 0) & (out['lam'][valid] < 1)).all()
    # anchor 2 (label 0.28): lower labels 0.2 (x3), upper 0.36, 0.5, 0.5 -> nearest r-th with r-th, lambda by hand
    for r, (lo, up) in enumerate([(0.2, 0.36), (0.2, 0.5), (0.2, 0.5)]):
        assert float(lower[2, r]) == lo and float(upper[2, r]) == up
        assert math.isclose(float(out['lam'][2, r]), (up - 0.28) / (up - lo), rel_tol=1e-12)
        expected = (up - 0.28) / (up - lo) * z[out['lower'][2, r]] + (0.28 - lo) / (up - lo) * z[out['upper'][2, r]]
        assert torch.allclose(out['mixtures'][2, r], expected)
    # the highest label has nothing above it: no hard positive
    assert not valid[6].any()


def test_hard_negatives_imply_a_label_between_the_parents():
    from text_align.losses import anchor_inclusive_mixtures
    z, y = _batch()
    out = anchor_inclusive_mixtures(z, y)
    valid = out['valid']
    assert torch.equal(valid, (y[None] - y[:, None]).abs() > 0)
    low = torch.minimum(y[:, None], y[None]).expand_as(valid)
    high = torch.maximum(y[:, None], y[None]).expand_as(valid)
    implied = out['implied']
    assert ((implied[valid] >= low[valid] - 1e-12) & (implied[valid] <= high[valid] + 1e-12)).all()
    # the rule: the implied label sits sqrt(d_min * d_ij) from the anchor's, never closer than the nearest negative
    d = (y[None] - y[:, None]).abs()
    d_min = torch.where(valid, d, torch.full_like(d, math.inf)).min(1, keepdim=True).values
    assert torch.allclose((implied - y[:, None]).abs()[valid], (d_min * d).sqrt()[valid])
    assert torch.allclose(out['mixtures'][0, 6], out['lam'][0, 6] * z[0] + (1 - out['lam'][0, 6]) * z[6])


def _loop_loss(z, y, t, num_hp, hard_negatives, weighting):
    """SupReMix written out anchor by anchor in plain Python (no vectorisation, no shared helpers)."""
    z = [F.normalize(v, dim=0) for v in z]
    y = [float(v) for v in y]
    n, losses = len(y), []
    for i in range(n):
        positives = [z[j] for j in range(n) if j != i and y[j] == y[i]]
        negatives = [(z[j], abs(y[j] - y[i])) for j in range(n) if y[j] != y[i]]
        if not negatives:
            continue
        below = sorted((abs(y[j] - y[i]), j) for j in range(n) if y[j] < y[i])
        above = sorted((abs(y[j] - y[i]), j) for j in range(n) if y[j] > y[i])
        for r in range(min(num_hp, len(below), len(above))):
            j, k = below[r][1], above[r][1]
            lam = (y[k] - y[i]) / (y[k] - y[j])
            positives.append(lam * z[j] + (1 - lam) * z[k])
        if not positives:
            continue
        mean_d = sum(d for _, d in negatives) / len(negatives)
        d_min = min(d for _, d in negatives)
        weighted = [(v, d / mean_d if weighting else 1.0) for v, d in negatives]
        if hard_negatives:
            for v, d in negatives:
                lam = 1 - math.sqrt(d_min / d)
                implied = (1 - lam) * d
                weighted.append((lam * z[i] + (1 - lam) * v, implied / mean_d if weighting else 1.0))
        cos = lambda v: float(torch.dot(z[i], F.normalize(v, dim=0))) / t  # noqa: E731
        denominator = sum(math.exp(cos(p)) for p in positives) + sum(w * math.exp(cos(v)) for v, w in weighted)
        losses.append(-sum(cos(p) - math.log(denominator) for p in positives) / len(positives))
    return sum(losses) / len(losses)


@pytest.mark.parametrize('num_hp,hard_negatives,weighting', [(3, True, True), (0, False, False), (2, False, True),
                                                             (0, True, False)])
def test_loss_equals_a_direct_loop(num_hp, hard_negatives, weighting):
    from text_align.losses import SupReMixLoss
    z, y = _batch(seed=3)
    loss = SupReMixLoss(temperature=0.1, num_hard_positives=num_hp, hard_negatives=hard_negatives,
                        distance_weighting=weighting)(z, y)
    assert math.isclose(float(loss), _loop_loss(z, y, 0.1, num_hp, hard_negatives, weighting), rel_tol=1e-9)


def test_lee_regression_rows_never_hold_a_held_out_document():
    from text_align.data import LeeDocumentRegression, document_folds, lee_documents_and_scores, pairs_of
    from text_align.methods import SupReMix
    documents, scores = lee_documents_and_scores()
    train, test = document_folds(50, 5, 2, seed=0)
    assert len(test) == 10 and not set(train) & set(test)
    rows = LeeDocumentRegression(num_folds=5, fold=2, fold_seed=0)
    ids = [rows[i]['doc_id'] for i in range(len(rows))]
    assert sorted(ids) == train.tolist()
    assert {rows[i]['text'] for i in range(len(rows))}.isdisjoint({documents[j] for j in test})
    row = rows[0]
    assert all(math.isnan(row['scores'][j]) for j in test)
    train_pairs, test_pairs = pairs_of(train, test)
    assert len(train_pairs) == 40 * 39 // 2 and len(test_pairs) == 1225 - 780
    batch = [rows[i] for i in range(4)]
    pairs, labels = SupReMix.document_pairs(batch)
    assert pairs == [(a, b) for a in range(4) for b in range(a + 1, 4)]
    for (a, b), label in zip(pairs, labels):
        i, j = sorted((batch[a]['doc_id'], batch[b]['doc_id']))
        assert label == scores[i, j]  # the upper-triangle rating, as LeeDocumentSimilarity reads it


def test_a_regression_row_without_label_is_named(tmp_path):
    from text_align.methods import SupReMix
    model = SupReMix.__new__(SupReMix)
    model.label_key = 'label'
    rows = [dict(text='a', label=0.5, sample_idx=7), dict(text='b', sample_idx=8)]
    with pytest.raises(ValueError, match=r"row 1 of the batch \(sample_idx=8\) has no numeric 'label'"):
        SupReMix.single_labels(model, rows, torch.device('cpu'))


def test_regression_probe_equals_sklearn_and_scipy():
    from scipy.stats import pearsonr, spearmanr
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_absolute_error

    from text_align.evaluation import RegressionProbeMetric, linear_probe_regression, ridge_fit_predict
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    y = x @ rng.normal(size=8) + rng.normal(size=60)
    for alpha, cols in ((0.5, 8), (3.0, 8)):
        ours = ridge_fit_predict(x[:40, :cols], y[:40], x[40:, :cols], alpha)
        assert np.allclose(ours, Ridge(alpha=alpha).fit(x[:40, :cols], y[:40]).predict(x[40:, :cols]))
    wide = rng.normal(size=(10, 30))  # more features than samples: the dual form
    assert np.allclose(ridge_fit_predict(wide[:6], y[:6], wide[6:], 0.7),
                       Ridge(alpha=0.7).fit(wide[:6], y[:6]).predict(wide[6:]))
    scores = linear_probe_regression(x[:40], y[:40], x[40:], y[40:], alpha=1.0)
    predicted = Ridge(alpha=1.0).fit(x[:40], y[:40]).predict(x[40:])
    assert math.isclose(scores['spearman'], 100 * spearmanr(predicted, y[40:])[0], rel_tol=1e-9)
    assert math.isclose(scores['pearson'], 100 * pearsonr(predicted, y[40:])[0], rel_tol=1e-9)
    assert math.isclose(scores['mae'], mean_absolute_error(y[40:], predicted), rel_tol=1e-9)
    metric = RegressionProbeMetric(num_folds=3, alpha=1.0, seed=1)
    metric.process({}, [dict(embedding=torch.from_numpy(x[i]), label=float(y[i])) for i in range(60)])
    pooled = np.empty(60)
    for fold in np.array_split(np.random.default_rng(1).permutation(60), 3):
        rest = np.setdiff1d(np.arange(60), fold)
        pooled[fold] = Ridge(alpha=1.0).fit(x[rest], y[rest]).predict(x[fold])
    result = metric.compute_metrics(metric.results)
    assert math.isclose(result['spearman'], 100 * spearmanr(pooled, y)[0], rel_tol=1e-9)
    assert math.isclose(result['mae'], mean_absolute_error(y, pooled), rel_tol=1e-9)


def test_supremix_trains_on_two_processes_in_sync(tiny_bert, tmp_path):
    """``tools/train.py --launcher pytorch`` on 2 gloo processes: both ranks end with identical weights that moved."""
    from transformers import BertModel
    options = [f'model.encoder.model_path={tiny_bert}', f'train_dataloader.collate_fn.model_path={tiny_bert}',
               'train_dataloader.batch_size=6', 'optim_wrapper.optimizer.lr=1e-3', 'train_cfg.max_iters=2',
               'param_scheduler.0.end=2', 'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
               'log_processor.window_size=1', 'model.encoder.max_length=32',
               'train_dataloader.collate_fn.max_length=32']
    work = train_two_processes(CONFIG, options, tmp_path)
    rank0 = equal_rank_states(work)
    start = BertModel.from_pretrained(tiny_bert).state_dict()
    assert not torch.equal(rank0['encoder.backbone.embeddings.word_embeddings.weight'],
                           start['embeddings.word_embeddings.weight'])
    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'loss_regression' in log
