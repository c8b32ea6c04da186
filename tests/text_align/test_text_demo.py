"""The pieces of the text demo (tools/text/demo_supcon.py): the labelled shipped corpus, stratified disjoint folds,
same-label training pairs that never read the held-out fold, the held-out metrics against independent
implementations, the evaluation length setting, the fold-paired statistics, and a 2-iteration smoke run."""
import numpy as np
import pytest
import torch

from conftest import run_tool
from text_align.data import SameLabelPairs, fold_split, read_labelled_sentences, stratified_folds
from text_align.evaluation import (encode_for_evaluation, evaluation_max_length, knn_accuracy, paired_by_fold,
                                   same_label_map)


def test_polarity_sentences_are_read_from_gensim():
    texts, labels, names = read_labelled_sentences('gensim:pang_lee_polarity.cor')
    assert names == ['neg', 'pos'] and len(texts) == 200 and labels.count(0) == 100
    assert texts[0] == 'simplistic , silly and tedious .'


def test_a_line_without_a_label_is_named(tmp_path):
    path = tmp_path / 'bad.txt'
    path.write_text('__label__a fine\nno label here\n')
    with pytest.raises(ValueError, match=r'bad.txt:2: expected "__label__<class> <text>"'):
        read_labelled_sentences(str(path))


@pytest.mark.parametrize('labels,num_folds', [([0] * 100 + [1] * 100, 5), ([0] * 7 + [1] * 5 + [2] * 3, 3)])
def test_folds_are_stratified_disjoint_and_cover_everything(labels, num_folds):
    labels = np.array(labels)
    folds = stratified_folds(labels, num_folds, seed=0)
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(len(labels)))  # disjoint and complete
    for c in np.unique(labels):
        per_fold = [int((labels[f] == c).sum()) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1 and sum(per_fold) == (labels == c).sum()
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    assert [f.tolist() for f in stratified_folds(labels, num_folds, seed=0)] == [f.tolist() for f in folds]
    assert [f.tolist() for f in stratified_folds(labels, num_folds, seed=1)] != [f.tolist() for f in folds]
    train, test = fold_split(labels, num_folds, 1, seed=0)
    assert test.tolist() == folds[1].tolist() and np.intersect1d(train, test).size == 0
    assert len(train) + len(test) == len(labels)


def test_too_small_a_class_for_the_folds_is_an_error():
    with pytest.raises(ValueError, match='class 1 has 2 items, fewer than num_folds=3'):
        stratified_folds([0, 0, 0, 1, 1], 3)


def test_training_pairs_never_read_the_held_out_fold():
    texts, labels, _ = read_labelled_sentences()
    _, test = fold_split(labels, 5, 2, seed=0)
    held_out = {texts[i] for i in test}
    label_of = dict(zip(texts, labels))
    pairs = SameLabelPairs(num_folds=5, fold=2, pairs_per_text=3, seed=4)
    assert len(pairs) == 3 * 160
    rows = [pairs.get_data_info(i) for i in range(len(pairs))]
    for row in rows:
        assert row['anchor'] not in held_out and row['positive'] not in held_out
        assert row['anchor'] != row['positive'] and label_of[row['positive']] == label_of[row['anchor']] == row['label']
    by_anchor = {}
    for row in rows:
        by_anchor.setdefault(row['anchor'], []).append(row['positive'])
    assert all(len(set(p)) == 3 for p in by_anchor.values())  # distinct positives per anchor


def test_knn_accuracy_equals_scikit_learn():
    from sklearn.neighbors import KNeighborsClassifier
    rng = np.random.default_rng(0)
    train_x, test_x = rng.normal(size=(40, 6)), rng.normal(size=(25, 6))
    train_y, test_y = rng.integers(0, 2, 40), rng.integers(0, 2, 25)
    ours = knn_accuracy(train_x, train_y, test_x, test_y, k=5)
    reference = KNeighborsClassifier(5, metric='cosine').fit(train_x, train_y).score(test_x, test_y)
    assert ours == pytest.approx(100 * reference)


def test_same_label_map_equals_scikit_learn_average_precision():
    from sklearn.metrics import average_precision_score
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(12, 4)), np.array([0, 1, 2] * 4)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    similarity = unit @ unit.T
    reference = np.mean([average_precision_score(np.delete(y == y[i], i), np.delete(similarity[i], i))
                         for i in range(len(y))])
    assert same_label_map(x, y) == pytest.approx(100 * reference)


def test_paired_statistics_by_hand():
    baseline = {0: 70.0, 1: 80.0}
    trained = {(0, 0): 74.0, (0, 1): 76.0, (1, 0): 79.0, (1, 1): 81.0}
    s = paired_by_fold(baseline, trained)
    # fold means 75, 80; differences +5, 0 -> mean 2.5, sample std 3.5355; seed std per fold 1.4142
    assert s['trained_mean'] == pytest.approx(77.5) and s['diff_mean'] == pytest.approx(2.5)
    assert s['diff_std'] == pytest.approx(5 / np.sqrt(2)) and s['seed_std'] == pytest.approx(np.sqrt(2))
    assert s['baseline_std'] == pytest.approx(10 / np.sqrt(2)) and s['folds_improved'] == 1


def test_evaluation_length_is_its_own_setting(tmp_path):
    from tiny_bert import write_tiny_bert

    from text_align.encoders import TextEncoder
    encoder = TextEncoder(write_tiny_bert(tmp_path / 'bert'), pooling='mean', max_length=8)  # training length 8
    long_text = ' '.join(['the river flooded the old town after days of heavy rain'] * 4)  # ~45 tokens
    assert evaluation_max_length(encoder) == 128  # default: the model's positions
    default = encode_for_evaluation(encoder, [long_text])
    assert encoder.max_length == 8  # restored
    full = TextEncoder(encoder.model_path, pooling='mean', max_length=128)
    full.load_state_dict(encoder.state_dict())
    expected = torch.nn.functional.normalize(full.encode([long_text], convert_to_tensor=True), dim=-1).numpy()
    np.testing.assert_allclose(default, expected, atol=1e-6)
    cut = encode_for_evaluation(encoder, [long_text], max_length=8)
    assert np.abs(cut - default).max() > 1e-3  # truncating changes the embedding, so the setting matters
    with pytest.raises(ValueError, match=r'evaluation max_length must be in \[1, 128\]'):
        evaluation_max_length(encoder, 129)


def test_demo_smoke_on_a_tiny_model(tmp_path):
    from tiny_bert import write_tiny_bert
    folder = write_tiny_bert(tmp_path / 'bert')
    options = [f'model.encoder.model_path={folder}', f'train_dataloader.collate_fn.model_path={folder}',
               'train_cfg.max_iters=2', 'train_dataloader.batch_size=4']
    result = run_tool(['tools/text/demo_supcon.py', '--folds', '0', '1', '--seeds', '0', '--work-dir',
                       tmp_path / 'demo', '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / 'demo' / 'report.md').read_text()
    assert 'train_cfg.max_iters' in report and "'train_dataloader.batch_size': 4" in report
    assert 'Evaluation length: 128 tokens' in report and '2 iterations' in report and 'batch 4 pairs' in report
    assert report.count('| 2/2 |') + report.count('| 1/2 |') + report.count('| 0/2 |') == 3
