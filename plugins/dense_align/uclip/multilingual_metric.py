"""Image-text retrieval recall per language (uCLIP's XM3600 evaluation, ``inference/multilingual_retrieval.py``)."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def recall_at_k(scores: torch.Tensor, positive: torch.Tensor, k: int) -> float:
    """Percentage of queries (rows) with a positive among their top ``k`` candidates.

    Args:
        scores: (Q, C) similarities.
        positive: (Q, C) bool, the relevant candidates.
        k: cut-off.

    Returns:
        Recall@k in percent.
    """
    top = scores.topk(min(k, scores.shape[1]), dim=1).indices
    return 100.0 * positive.gather(1, top).any(dim=1).float().mean().item()


@METRICS.register_module()
class MultilingualRetrievalMetric(BaseMetric):
    """R@k image -> text and text -> image for each language separately.

    Predictions (from ``UCLIPModel``'s predict mode): ``image_embed`` (D,) and ``text_embeds`` {lang: (n, D)}, all
    unit-norm. A language asked for but missing in the predictions is an error naming it.

    Args:
        languages: language codes to score.
        ks: recall cut-offs.
        prefix: metric name prefix.
    """
    default_prefix = 'multilingual'

    def __init__(self, languages: Sequence[str], ks: Sequence[int] = (1, 5, 10), prefix: str = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.languages, self.ks = list(languages), list(ks)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each image's embedding and its captions' embeddings per language."""
        for sample in data_samples:
            missing = [lang for lang in self.languages if lang not in sample['text_embeds']]
            if missing:
                raise KeyError(f'MultilingualRetrievalMetric: language(s) {missing} missing in the evaluation set '
                               f'(image {sample.get("img_id")} has {sorted(sample["text_embeds"])})')
            self.results.append(dict(image=sample['image_embed'],
                                     texts={lang: sample['text_embeds'][lang] for lang in self.languages}))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Returns:
            ``{lang}/i2t_R@k`` and ``{lang}/t2i_R@k`` for each language and k.
        """
        images = torch.stack([r['image'] for r in results])
        metrics = {}
        for lang in self.languages:
            texts = torch.cat([r['texts'][lang] for r in results])
            owner = torch.cat([torch.full((len(r['texts'][lang]), ), i) for i, r in enumerate(results)])
            positive = owner[:, None] == torch.arange(len(results))[None]
            scores = texts @ images.t()
            for k in self.ks:
                metrics[f'{lang}/i2t_R@{k}'] = recall_at_k(scores.t(), positive.t(), k)
                metrics[f'{lang}/t2i_R@{k}'] = recall_at_k(scores, positive, k)
        return metrics
