"""Image-text retrieval recall and zero-shot classification accuracy."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def retrieval_recalls(image_embed: torch.Tensor, text_embed: torch.Tensor, captions: Sequence[str],
                      ks: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall@k of image->text and text->image retrieval with one caption per image.

    A retrieved caption counts as correct when its text equals the query image's caption (generated data repeats
    captions word for word), and a retrieved image when its caption equals the query text.

    Args:
        image_embed: (N, D) L2-normalised image embeddings.
        text_embed: (N, D) L2-normalised caption embeddings, row i pairs with image i.
        captions: the N caption texts.
        ks: recall cut-offs.

    Returns:
        ``{'i2t_R@k': %, 't2i_R@k': %, ...}``.
    """
    ids = {c: i for i, c in enumerate(dict.fromkeys(captions))}
    group = torch.tensor([ids[c] for c in captions])
    same = group[:, None] == group[None, :]
    sims = image_embed @ text_embed.t()
    out = {}
    for name, scores in (('i2t', sims), ('t2i', sims.t())):
        order = scores.argsort(dim=1, descending=True)
        hits = torch.gather(same, 1, order)
        for k in ks:
            out[f'{name}_R@{k}'] = 100.0 * hits[:, :k].any(dim=1).float().mean().item()
    return out


@METRICS.register_module()
class ImageTextMetric(BaseMetric):
    """Retrieval recall (R@1/5/10 both ways) and, where labels and scores exist, zero-shot top-1 accuracy.

    Args:
        ks: recall cut-offs.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric-name prefix.
    """
    default_prefix = 'imagetext'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = tuple(ks)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the embeddings, caption, label and scores of each prediction."""
        self.results.extend(dict(sample) for sample in data_samples)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Args:
            results: the kept predictions of the whole dataset.

        Returns:
            Recalls and, when available, ``zero_shot_top1``.
        """
        metrics = retrieval_recalls(torch.stack([r['image_embed'] for r in results]),
                                    torch.stack([r['text_embed'] for r in results]), [r['caption'] for r in results],
                                    self.ks)
        labelled = [r for r in results if r.get('zero_shot_scores') is not None and r['gt_label'] >= 0]
        if labelled:
            pred = torch.stack([r['zero_shot_scores'] for r in labelled]).argmax(dim=1)
            gt = torch.tensor([r['gt_label'] for r in labelled])
            metrics['zero_shot_top1'] = 100.0 * (pred == gt).float().mean().item()
        return metrics
