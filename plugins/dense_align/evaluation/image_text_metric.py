"""Image-text retrieval recall with several captions per image (the CLIP_benchmark protocol)."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


def retrieval_recalls(image_embed: torch.Tensor, text_embed: torch.Tensor, text_image_index: Sequence[int],
                      ks: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall@k of image->text and text->image retrieval, each image with any number of captions.

    A caption's positive is the image it belongs to (``text_image_index``). Image->text: an image is a hit at k
    when any of its captions is among the k captions closest to it. Text->image: a caption is a hit when its image
    is among the k closest images. Each recall is averaged over the queries (images, resp. captions), as
    CLIP_benchmark's ``zeroshot_retrieval`` and the CLIP papers compute it; caption texts play no part, so two
    images with the same caption text are different answers.

    Args:
        image_embed: (N, D) L2-normalised image embeddings.
        text_embed: (M, D) L2-normalised caption embeddings.
        text_image_index: (M, ) index in ``image_embed`` of each caption's image.
        ks: recall cut-offs; a k above the number of candidates counts as all of them.

    Returns:
        ``{'i2t_R@k': %, 't2i_R@k': %, ...}``.
    """
    index = torch.as_tensor(list(text_image_index), dtype=torch.long)
    if index.numel() != text_embed.shape[0]:
        raise ValueError(f'retrieval_recalls: {text_embed.shape[0]} captions but {index.numel()} image indices')
    if index.numel() and (index.min() < 0 or index.max() >= image_embed.shape[0]):
        raise ValueError(f'retrieval_recalls: image indices must lie in [0, {image_embed.shape[0]})')
    positive = torch.zeros(text_embed.shape[0], image_embed.shape[0], dtype=torch.bool)
    positive[torch.arange(index.numel()), index] = True
    scores = text_embed.float() @ image_embed.float().t()
    out = {}
    for name, s, pos in (('i2t', scores.t(), positive.t()), ('t2i', scores, positive)):
        order = s.topk(min(max(ks), s.shape[1]), dim=1).indices
        hits = torch.gather(pos, 1, order)
        for k in ks:
            out[f'{name}_R@{k}'] = 100.0 * hits[:, :k].any(dim=1).float().mean().item()
    return out


@METRICS.register_module()
class ImageTextMetric(BaseMetric):
    """Image->text and text->image retrieval recall over the whole evaluation set, every caption of every image.

    Each prediction holds ``image_embed`` (D, ) and ``text_embed`` (n_i, D) with that image's captions (a (D, )
    embedding counts as one caption); the text-to-image index is built from the prediction order.

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
        """Keep the image and caption embeddings of each prediction."""
        for sample in data_samples:
            if sample.get('text_embed') is None:
                raise ValueError('ImageTextMetric: a prediction has no text_embed; the dataset must give captions')
            text = sample['text_embed']
            self.results.append((sample['image_embed'], text[None] if text.dim() == 1 else text))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Args:
            results: (image embedding, caption embeddings) of every image.

        Returns:
            The recalls.
        """
        index = [i for i, (_, text) in enumerate(results) for _ in range(text.shape[0])]
        return retrieval_recalls(torch.stack([image for image, _ in results]),
                                 torch.cat([text for _, text in results]), index, self.ks)
