"""Zero-shot segmentation from a CLIP's dense embeddings: each patch takes the class whose prompt embedding it is
most similar to (background as one more prompt); scored by mean IoU against semantic masks."""
import os
import os.path as osp
from typing import Callable, Dict, Optional, Sequence

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


def mean_iou(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], num_classes: int,
             ignore_index: Optional[int] = None) -> float:
    """Mean IoU in percent over the classes present in the ground truth or the predictions (mmseg's rule: classes
    with an empty union are left out).

    Args:
        preds: predicted label maps.
        gts: ground-truth label maps (same shapes).
        num_classes: number of labels.
        ignore_index: pixels with this ground-truth label are left out (and the label is no class).

    Returns:
        mIoU in percent.
    """
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    for pred, gt in zip(preds, gts):
        keep = np.ones(gt.shape, bool) if ignore_index is None else gt != ignore_index
        for c in range(num_classes):
            if c == ignore_index:
                continue
            p, g = (pred == c) & keep, (gt == c) & keep
            inter[c] += np.logical_and(p, g).sum()
            union[c] += np.logical_or(p, g).sum()
    valid = union > 0
    return float(100.0 * (inter[valid] / union[valid]).mean())


def class_prompt_embeddings(encode_text: Callable, class_names: Sequence[str],
                            background: str = 'background') -> torch.Tensor:
    """(1 + C, D) embeddings of ``'a photo of a {name}.'`` for the background and each class."""
    with torch.no_grad():
        return encode_text([f'a photo of a {name}.' for name in [background] + list(class_names)])


@torch.no_grad()
def evaluate_demo_segmentation(model, data_root: str, class_names: Sequence[str], limit: int = 64) -> Dict[str, float]:
    """Zero-shot segmentation of the demo validation images (``images/val``, masks ``seg_masks/val``: 0 background,
    ``1 + class``) by a CLIP-like model's dense embeddings.

    Two scores: ``miou`` over every pixel with a background prompt as one more class; ``miou_objects`` over the
    object pixels only (background pixels ignored), each taking the closest of the class prompts, i.e. whether the
    patches name the object they lie on.

    Args:
        model: with ``encode_text(texts)``, ``image_encoder`` (last output ``dense_embed``) and
            ``data_preprocessor``, in eval mode.
        data_root: the demo data folder.
        class_names: the classes (mask label ``1 + i`` is ``class_names[i]``).
        limit: the first ``limit`` images (sorted names).

    Returns:
        ``dict(miou=..., miou_objects=..., images=n)``.
    """
    import mmcv
    folder = osp.join(data_root, 'images', 'val')
    if not osp.isdir(folder):
        raise FileNotFoundError(f'evaluate_demo_segmentation: {folder} does not exist (demo data expected)')
    names = sorted(os.listdir(folder))[:limit]
    prompts = class_prompt_embeddings(model.encode_text, class_names)
    preds, preds_obj, gts = [], [], []
    for name in names:
        img = mmcv.imread(osp.join(folder, name))
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        x = model.data_preprocessor(dict(inputs=[x]), False)['inputs']
        dense = model.image_encoder(x)[-1]
        preds.append(segment_zero_shot(dense, prompts, img.shape[:2])[0].numpy())
        preds_obj.append(segment_zero_shot(dense, prompts[1:], img.shape[:2])[0].numpy() + 1)
        gts.append(mmcv.imread(osp.join(data_root, 'seg_masks', 'val', name), flag='unchanged'))
    num = len(class_names) + 1
    return dict(miou=mean_iou(preds, gts, num), miou_objects=mean_iou(preds_obj, gts, num, ignore_index=0),
                images=len(names))
