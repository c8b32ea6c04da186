"""Retrieval recall with several captions per image equals the clip-benchmark package's own computation
(``clip_benchmark.metrics.zeroshot_retrieval``) on the same embeddings."""
import pytest
import torch
import torch.nn.functional as F
from clip_benchmark.metrics.zeroshot_retrieval import recall_at_k

from dense_align.evaluation import ImageTextMetric, retrieval_recalls

KS = (1, 2, 5)


def _clip_benchmark(images: torch.Tensor, texts: torch.Tensor, index: list) -> dict:
    """CLIP_benchmark's evaluate() after the embeddings: its positive-pair matrix and recall_at_k > 0."""
    scores = texts @ images.t()
    positive = torch.zeros_like(scores, dtype=torch.bool)
    positive[torch.arange(len(scores)), index] = True
    out = {}
    for k in KS:  # its topk needs k <= number of candidates; a larger k means all of them (as ours)
        out[f't2i_R@{k}'] = 100 * (recall_at_k(scores, positive, k=min(k, len(images))) > 0).float().mean().item()
        out[f'i2t_R@{k}'] = 100 * (recall_at_k(scores.T, positive.T, k=min(k, len(texts))) > 0).float().mean().item()
    return out


def _three_images_five_captions(noise: float, seed: int = 0):
    torch.manual_seed(seed)
    images = F.normalize(torch.randn(3, 16), dim=-1)
    index = [i for i in range(3) for _ in range(5)]
    texts = F.normalize(images[index] + noise * torch.randn(15, 16), dim=-1)
    return images, texts, index


def test_perfect_embeddings_score_100():
    images, texts, index = _three_images_five_captions(noise=0.0)
    got = retrieval_recalls(images, texts, index, ks=KS)
    assert got == _clip_benchmark(images, texts, index)
    assert got['i2t_R@1'] == 100.0 and got['t2i_R@1'] == 100.0


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_imperfect_embeddings_match_clip_benchmark(seed):
    images, texts, index = _three_images_five_captions(noise=1.5, seed=seed)
    got = retrieval_recalls(images, texts, index, ks=KS)
    want = _clip_benchmark(images, texts, index)
    assert got == pytest.approx(want)
    assert 0 < got['t2i_R@1'] < 100  # the case is not trivial


def test_metric_builds_the_text_to_image_index_from_predictions():
    images, texts, index = _three_images_five_captions(noise=1.5, seed=1)
    metric = ImageTextMetric(ks=KS)
    metric.process({}, [dict(image_embed=images[i], text_embed=texts[5 * i:5 * i + 5]) for i in range(3)])
    result = metric.evaluate(3)
    want = _clip_benchmark(images, texts, index)
    assert {key.split('/')[1]: value for key, value in result.items()} == pytest.approx(want)
    with pytest.raises(ValueError, match='no text_embed'):
        ImageTextMetric().process({}, [dict(image_embed=images[0], text_embed=None)])
    with pytest.raises(ValueError, match='15 captions but 14 image indices'):
        retrieval_recalls(images, texts, index[:-1])
