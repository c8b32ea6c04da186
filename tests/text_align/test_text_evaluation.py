"""Evaluation: retrieval metrics equal pytrec_eval's on the same run and qrels; search exact vs faiss; STS
correlations on a real human-judged set; a linear probe."""
import numpy as np
import pytest

from text_align.evaluation import (linear_probe_accuracy, retrieval_metrics, run_from_search, search,
                                   sts_correlations)


def random_run(seed: int):
    rng = np.random.default_rng(seed)
    docs = [f'd{i}' for i in range(60)]
    qrels, run = {}, {}
    for q in range(12):
        judged = rng.choice(60, size=rng.integers(1, 6), replace=False)
        qrels[f'q{q}'] = {docs[j]: int(rng.integers(0, 4)) for j in judged}
        scores = rng.random(60).round(2)  # rounding makes ties, which trec_eval breaks by document id
        run[f'q{q}'] = {docs[j]: float(scores[j]) for j in range(60)}
    qrels['q0'][docs[0]] = 2  # at least one relevant document for q0
    return qrels, run


@pytest.mark.parametrize('seed', range(3))
def test_metrics_equal_pytrec_eval(seed):
    import pytrec_eval
    qrels, run = random_run(seed)
    ours = retrieval_metrics(qrels, run, ndcg_at=(5, 10), recall_at=(10, 100), mrr_at=(1000, ))
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {'ndcg_cut.5,10', 'recall.10,100', 'map', 'recip_rank'})
    per_query = evaluator.evaluate(run)
    for ours_key, trec_key in (('nDCG@5', 'ndcg_cut_5'), ('nDCG@10', 'ndcg_cut_10'), ('Recall@10', 'recall_10'),
                               ('Recall@100', 'recall_100'), ('MAP', 'map'), ('MRR@1000', 'recip_rank')):
        reference = np.mean([values[trec_key] for values in per_query.values()])
        assert ours[ours_key] == pytest.approx(reference, abs=1e-4), ours_key


def test_exact_and_faiss_search_agree():
    rng = np.random.default_rng(0)
    corpus = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    exact = search(queries, corpus, top_k=10, use_faiss=False)
    approx = search(queries, corpus, top_k=10, use_faiss=True)
    np.testing.assert_array_equal(exact[1], approx[1])
    np.testing.assert_allclose(exact[0], approx[0], rtol=1e-5)
    run = run_from_search([f'q{i}' for i in range(7)], [f'd{i}' for i in range(300)], *exact)
    assert len(run['q3']) == 10


def test_sts_correlations_equal_hand_computed_values_and_reject_bad_input():
    # no ties: Spearman = 1 - 6 sum(d^2) / (n (n^2 - 1)); ranks of predicted 1..5, of gold 2,1,4,3,5
    predicted = [0.1, 0.2, 0.3, 0.4, 0.5]
    gold = [2.0, 1.0, 4.0, 3.0, 5.0]
    result = sts_correlations(predicted, gold)
    assert result['spearman'] == pytest.approx(100 * (1 - 6 * 4 / (5 * 24)))  # 80
    # Pearson by its definition on the centred values: sum(xy) / sqrt(sum(x^2) sum(y^2)) = 0.8 / sqrt(0.1 * 10)
    x, y = np.array(predicted) - 0.3, np.array(gold) - 3.0
    assert (x * y).sum() == pytest.approx(0.8) and (x * x).sum() == pytest.approx(0.1) and (y * y).sum() == 10
    assert result['pearson'] == pytest.approx(100 * 0.8 / np.sqrt(0.1 * 10))
    tied = sts_correlations([1.0, 1.0, 2.0], [1.0, 2.0, 3.0])  # average ranks 1.5, 1.5, 3 against 1, 2, 3
    assert tied['spearman'] == pytest.approx(100 * 1.5 / np.sqrt(1.5 * 2))  # Pearson of the centred ranks
    with pytest.raises(ValueError, match='equal-length'):
        sts_correlations([0.1, 0.2], [0.3])


def test_linear_probe_separates_separable_classes():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-2, 1, (40, 4)), rng.normal(2, 1, (40, 4))])
    y = [0] * 40 + [1] * 40
    assert linear_probe_accuracy(x[::2], y[::2], x[1::2], y[1::2])['accuracy'] > 95
