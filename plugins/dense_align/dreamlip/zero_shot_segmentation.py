"""Zero-shot segmentation from a CLIP's dense embeddings: each patch takes the class whose prompt embedding it is
most similar to (background as one more prompt); scored by mean IoU against semantic masks."""
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F


def segment_zero_shot(dense_embed: torch.Tensor, class_embed: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Per-pixel labels from patch-to-prompt cosine similarities, bilinearly upsampled before the argmax.

    Args:
        dense_embed: (B, D, h, w) dense image embeddings (``CLIPViT``/``CLIPResNet`` ``dense_embed``).
        class_embed: (C, D) prompt embeddings; index 0 is the background prompt.
        size: output (H, W).

    Returns:
        (B, H, W) labels in ``[0, C)``.
    """
    dense = F.normalize(dense_embed, dim=1)
    scores = torch.einsum('bdhw,cd->bchw', dense, F.normalize(class_embed, dim=-1))
    return F.interpolate(scores, size=tuple(size), mode='bilinear', align_corners=False).argmax(dim=1)


def mean_iou(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], num_classes: int) -> float:
    """Mean IoU in percent over the classes present in the ground truth or the predictions (mmseg's rule: classes
    with an empty union are left out).

    Args:
        preds: predicted label maps.
        gts: ground-truth label maps (same shapes).
        num_classes: number of labels.

    Returns:
        mIoU in percent.
    """
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    for pred, gt in zip(preds, gts):
        for c in range(num_classes):
            p, g = pred == c, gt == c
            inter[c] += np.logical_and(p, g).sum()
            union[c] += np.logical_or(p, g).sum()
    valid = union > 0
    return float(100.0 * (inter[valid] / union[valid]).mean())


def class_prompt_embeddings(encode_text: Callable, class_names: Sequence[str],
                            background: str = 'background') -> torch.Tensor:
    """(1 + C, D) embeddings of ``'a photo of a {name}.'`` for the background and each class."""
    with torch.no_grad():
        return encode_text([f'a photo of a {name}.' for name in [background] + list(class_names)])
