"""GPR1200-style mAP: per-query AP equals scikit-learn's average_precision_score, perfect clusters give 100, the
GPR1200 domains follow the benchmark's category blocks, and the metric runs through mmengine's evaluator."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import average_precision_score

from dense_align.evaluation.instance_retrieval import (GPR1200_DOMAINS, InstanceRetrievalMetric, average_precisions,
                                                       gpr1200_domain, retrieval_map)


def _embeddings(num_classes=12, per_class=5, dim=16, noise=1.5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_classes, dim, generator=gen)
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    return centres[labels] + noise * torch.randn(len(labels), dim, generator=gen), labels


@pytest.mark.parametrize('include_self', [True, False])
def test_ap_equals_sklearn_per_query(include_self):
    emb, labels = _embeddings()
    aps = average_precisions(emb, labels, include_self=include_self, chunk=7)  # several chunks
    sims = (F.normalize(emb, dim=-1) @ F.normalize(emb, dim=-1).t()).numpy()
    expected = []
    for q in range(len(labels)):
        keep = np.ones(len(labels), bool)
        if not include_self:
            keep[q] = False
        expected.append(average_precision_score((labels == labels[q]).numpy()[keep], sims[q][keep]))
    np.testing.assert_allclose(aps.numpy(), expected, rtol=1e-10)
    assert 20 < np.mean(expected) * 100 < 95  # a non-trivial ranking
    assert retrieval_map(aps)['mAP'] == pytest.approx(100 * np.mean(expected))


def test_perfect_clusters_and_query_without_match():
    emb, labels = _embeddings(noise=0.0)
    assert retrieval_map(average_precisions(emb, labels, include_self=False))['mAP'] == pytest.approx(100.0)
    labels = torch.cat([labels, torch.tensor([99])])  # a class with one image: no match without itself
    aps = average_precisions(torch.cat([emb, torch.randn(1, emb.shape[1])]), labels, include_self=False)
    assert torch.isnan(aps[-1]) and retrieval_map(aps)['queries_without_match'] == 1


def test_gpr1200_domains_and_metric_through_evaluator():
    assert [gpr1200_domain(c) for c in (0, 199, 200, 599, 1000, 1199)] == \
        ['Landmarks', 'Landmarks', 'iNat', 'IMSketch', 'Faces', 'Faces']
    with pytest.raises(ValueError, match='1200'):
        gpr1200_domain(1200)
    emb, labels = _embeddings(num_classes=4, per_class=3)
    labels = labels * 200 + 7  # one category in each of the first four domains
    metric = InstanceRetrievalMetric()
    metric.process({}, [dict(image_embed=e, gt_label=int(c), img_id=i) for i, (e, c) in enumerate(zip(emb, labels))])
    result = metric.evaluate(len(labels))
    aps = average_precisions(emb, labels)
    assert result['instance_retrieval/mAP'] == pytest.approx(100 * aps.mean().item())
    for d in range(4):
        assert result[f'instance_retrieval/mAP_{GPR1200_DOMAINS[d]}'] == pytest.approx(
            100 * aps[3 * d:3 * d + 3].mean().item())
