"""SyCL: the released WS2Loss against an independent scipy computation (sqrtm), the sorted-CDF W1 option against
scipy.stats.wasserstein_distance, the graded-list reader's bad inputs, and a few iterations under tools/train.py."""
import json
import re

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm
from scipy.stats import wasserstein_distance

from conftest import REPO
from tiny_bert import write_tiny_bert


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def scipy_w2(x: np.ndarray, y: np.ndarray) -> float:
    """W2^2 between Gaussians fitted to the rows, with scipy's matrix square root (the FID formula)."""
    mu_x, mu_y = x.mean(0), y.mean(0)
    s_x, s_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    return float(((mu_x - mu_y) ** 2).sum() + np.trace(s_x + s_y - 2 * sqrtm(s_x @ s_y).real))


def test_ws2_equals_the_gaussian_w2_computed_with_scipy_sqrtm():
    from text_align.losses import WS2Loss
    rng = np.random.default_rng(0)
    b, g = 12, 4
    logits, grades = rng.normal(size=(b, g)) * 2, rng.integers(0, 4, size=(b, g))
    loss = WS2Loss(temperature=0.5)(torch.tensor(logits), torch.tensor(grades))
    assert loss.dtype == torch.float64
    expected = scipy_w2(softmax(logits / 0.5), softmax(grades.astype(float)))
    # the released + 1e-15 on each of the b eigenvalues adds sqrt(1e-15) per zero eigenvalue to the root's trace;
    # softmax rows sum to 1, so the covariances have rank g - 1 and b - (g - 1) eigenvalues are zero
    assert loss.item() == pytest.approx(expected - 2 * (b - g + 1) * 1e-15 ** 0.5, abs=2e-8)  # without: off 5.7e-7


def test_ws2_over_in_batch_logits_gives_other_queries_passages_grade_zero():
    from text_align.losses import WS2Loss
    rng = np.random.default_rng(1)
    b, g = 9, 2  # 18 columns from 9 rows: a singular covariance, as in training (batch < passages)
    logits, grades = rng.normal(size=(b, b * g)), rng.integers(0, 4, size=(b, g))
    labels = np.zeros((b, b * g))
    for i in range(b):
        labels[i, i * g:(i + 1) * g] = grades[i]
    loss = WS2Loss()(torch.tensor(logits), torch.tensor(grades)).item()
    assert loss == pytest.approx(scipy_w2(softmax(logits), softmax(labels)), abs=1e-6)


def test_sorted_cdf_w1_equals_scipy_wasserstein_distance_on_rank_positions():
    from text_align.losses import WS2Loss
    rng = np.random.default_rng(2)
    b, g = 5, 4
    logits, grades = rng.normal(size=(b, b * g)), rng.integers(0, 4, size=(b, g))
    own = np.stack([logits[i, i * g:(i + 1) * g] for i in range(b)])
    expected = []
    for i in range(b):
        order = np.argsort(-grades[i], kind='stable')
        p, q = softmax(own[i:i + 1])[0][order], softmax(grades[i:i + 1].astype(float))[0][order]
        expected.append(wasserstein_distance(np.arange(g), np.arange(g), p, q))
    loss = WS2Loss(form='sorted_cdf')(torch.tensor(logits), torch.tensor(grades))
    assert loss.item() == pytest.approx(np.mean(expected), rel=1e-10)


def write_lists(path, rows):
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return str(path)


def test_graded_list_reader_names_a_bad_grade_line_and_counts_single_grade_queries(tmp_path):
    from text_align.data import read_graded_lists
    good = dict(query='q', passages=[dict(text='a', grade=3), dict(text='b', grade=0)])
    flat = dict(query='q2', passages=[dict(text='a', grade=1), dict(text='b', grade=1)])
    rows, counts = read_graded_lists(write_lists(tmp_path / 'ok.jsonl', [good, flat, good]))
    assert len(rows) == 2 and counts == dict(read=3, single_grade=1, too_few_passages=0)
    assert rows[0]['grades'] == [3, 0] and rows[1]['query_id'] == '3'
    bad = dict(query='q', passages=[dict(text='a', grade=5)])
    path = write_lists(tmp_path / 'bad.jsonl', [good, good, bad])
    with pytest.raises(ValueError, match=r'bad\.jsonl:3: grade 5 is not one of the declared levels \[0, 1, 2, 3\]'):
        read_graded_lists(path)


def make_lee_set(folder, monkeypatch) -> None:
    import runpy
    import sys
    monkeypatch.setattr(sys, 'argv', ['make_graded_lee.py', str(folder), '--max-docs', '30', '--queries-per-doc', '2'])
    runpy.run_path(str(REPO / 'tools/text/make_graded_lee.py'), run_name='__main__')


def test_sycl_ws2_trains_under_tools_train_and_reports_ndcg(tmp_path, monkeypatch):
    model = write_tiny_bert(tmp_path / 'tiny_bert')
    data = tmp_path / 'lee'
    make_lee_set(data, monkeypatch)
    options = ['model.encoder.model_path=' + model, 'train_dataloader.collate_fn.model_path=' + model,
               'val_dataloader.collate_fn.model_path=' + model, f'train_dataloader.dataset.ann_file={data}/train.jsonl',
               f'val_dataloader.dataset.folder={data}/beir', f'val_evaluator.folder={data}/beir',
               'optim_wrapper.optimizer.lr=1e-3', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
               'param_scheduler.0.end=4', 'default_hooks.logger.interval=1', 'log_processor.window_size=1',
               'default_hooks.checkpoint.interval=4']
    config = REPO / 'configs/text/sycl/sycl-ws2_minilm-l6_1xb8-60it_lee-graded.py'
    # tools/train.py run in this process (its imports are already loaded: a subprocess would double the test time)
    import runpy
    import sys
    monkeypatch.setattr(sys, 'argv', ['train.py', str(config), '--work-dir', str(tmp_path / 'work'),
                                      '--cfg-options'] + options)
    runpy.run_path(str(REPO / 'tools/train.py'), run_name='__main__')
    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    values = [float(v) for v in re.findall(r'loss_listwise: ([0-9.e+-]+)', log)]
    assert len(values) == 4 and all(np.isfinite(values)), values
    assert re.search(r'retrieval/nDCG@10: [0-9.]+', log, re.IGNORECASE), log[-2000:]


def test_binary_baseline_uses_the_top_grade_as_positive_and_the_rest_of_the_list_as_hard_negatives(tmp_path):
    from mmengine.registry import init_default_scope

    from text_align.data import graded_list_collate
    from text_align.losses import InBatchInfoNCELoss
    from text_align.methods import SyCL
    init_default_scope('text_align')
    model = SyCL(encoder=dict(type='TextEncoder', model_path=write_tiny_bert(tmp_path / 'tb'), pooling='mean',
                              normalize=False),
                 loss=dict(type='InBatchInfoNCELoss', temperature=1.0, similarity='dot'))
    rows = [dict(query='alpha beta', passages=['p0 x', 'p1 alpha', 'p2 y'], grades=[1, 3, 0]),
            dict(query='gamma', passages=['q0 gamma', 'q1', 'q2 z'], grades=[0, 2, 2])]
    batch = graded_list_collate(rows, str(tmp_path / 'tb'))
    model.eval()
    with torch.no_grad():
        loss = model(batch['inputs'], mode='loss')['loss_contrastive']
        q = model.encoder(**batch['inputs']['query'])
        p = model.encoder(**batch['inputs']['passages']).view(2, 3, -1)
    # row 0: positive is passage 1 (grade 3); row 1: the first of the two grade-2 passages (index 1)
    expected = InBatchInfoNCELoss(temperature=1.0, similarity='dot')(
        q, torch.stack([p[0, 1], p[1, 1]]), torch.stack([p[0, [0, 2]], p[1, [0, 2]]]))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    logits = q @ torch.cat([p[0, 1:2], p[1, 1:2], p[0, [0, 2]], p[1, [0, 2]]]).t()
    by_hand = (torch.logsumexp(logits, 1) - logits[[0, 1], [0, 1]]).mean()
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-5)
