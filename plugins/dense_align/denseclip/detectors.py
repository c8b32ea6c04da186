"""DenseCLIP detectors on mmdet 3.x: RetinaNet, Faster R-CNN and Mask R-CNN with the score map (divided by tau)
concatenated to C5 and an auxiliary loss against masks filled from the ground-truth boxes."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet.models.detectors import FasterRCNN, MaskRCNN, RetinaNet
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import MODELS as MMDET_MODELS

from ..registration import register_model
from .language_guidance import LanguageGuidanceMixin, resolve_class_names


def box_filled_targets(samples: list, num_classes: int, size: Sequence[int], stride: int) -> tuple:
    """Per-class masks filled inside every ground-truth box, and the union of the boxes, at ``stride``.

    Box corners are rounded as the reference (DenseCLIP ``build_seg_target``) does: every coordinate is divided by
    ``stride``, floored and clamped to ``[0, w - 1]`` / ``[0, h - 1]``, and the cells ``[y1:y2, x1:x2]`` are filled
    (end exclusive, so a box reaching the right or bottom edge leaves the last column or row empty).

    Args:
        samples: ``DetDataSample`` list with ``gt_instances.bboxes`` (x1, y1, x2, y2 in input pixels) and ``labels``.
        num_classes: K.
        size: (h, w) of the target grid.
        stride: input pixels per grid cell.

    Returns:
        ``(targets (B, K, h, w), weights (B, 1, h, w))`` as float tensors.
    """
    device = samples[0].gt_instances.bboxes.device
    h, w = size
    targets = torch.zeros(len(samples), num_classes, h, w, device=device)
    weights = torch.zeros(len(samples), 1, h, w, device=device)
    limits = torch.tensor([w - 1, h - 1, w - 1, h - 1], device=device)
    for i, sample in enumerate(samples):
        boxes = sample.gt_instances.bboxes
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
        cells = torch.minimum(torch.div(boxes, stride).floor().long().clamp(min=0), limits)
        for (x1, y1, x2, y2), label in zip(cells.tolist(), sample.gt_instances.labels.tolist()):
            targets[i, label, y1:y2, x1:x2] = 1
            weights[i, 0, y1:y2, x1:x2] = 1
    return targets, weights


class _DenseCLIPDetector(LanguageGuidanceMixin):
    """Shared constructor and loss of the DenseCLIP detectors (mixed into mmdet detector classes): takes the text-side
    arguments and passes everything else to the mmdet detector."""

    def __init__(self, *, text_encoder: dict, class_names: Union[str, Sequence[str], None] = None,
                 prompting: str = 'post', context_decoder: Optional[dict] = None, num_context: int = 8,
                 score_concat_index: int = 3, tau: float = 0.07, seg_loss_weight: float = 1.0,
                 freeze_text_encoder: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        import mmdet.datasets  # noqa: F401  (registers the dataset classes named by class_names)
        names = resolve_class_names(class_names, MMDET_DATASETS, type(self).__name__)
        head = kwargs['bbox_head'] if 'bbox_head' in kwargs else kwargs['roi_head']['bbox_head']
        if head['num_classes'] != len(names):
            raise ValueError(f'{type(self).__name__}: {len(names)} class_names but the head has num_classes='
                             f'{head["num_classes"]}')
        self.init_language_guidance(text_encoder, names, MMDET_MODELS, kwargs.get('neck'), prompting, context_decoder,
                                    num_context, score_concat_index, concat_scale=1.0 / tau,
                                    freeze_text_encoder=freeze_text_encoder)
        self.tau = tau
        self.seg_loss_weight = seg_loss_weight
        self._train_scores: Optional[torch.Tensor] = None

    def extract_feat(self, batch_inputs: torch.Tensor) -> List[torch.Tensor]:
        """Language-guided neck features (the training score map is kept for the auxiliary loss)."""
        feats, scores = self.language_guided_features(batch_inputs)
        self._train_scores = scores if self.training else None
        return tuple(feats)

    def score_loss(self, scores: torch.Tensor, batch_data_samples: list) -> torch.Tensor:
        """Sigmoid BCE of ``scores / tau`` at stride 4 against box-filled class masks, inside the union of the boxes.

        As the reference, the union mask is expanded to the K class channels before normalising, so the loss is the
        mean over every (class, cell inside a box) pair: ``sum(bce * union) / (K * |union|)``. Without any box the
        loss is 0 (the reference divides by zero).
        """
        h, w = batch_data_samples[0].batch_input_shape
        size = (h // 4, w // 4)
        logits = F.interpolate(scores / self.tau, size=size, mode='bilinear', align_corners=False)
        targets, weights = box_filled_targets(batch_data_samples, logits.shape[1], size, 4)
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
        return (bce * weights).sum() / (weights.sum() * logits.shape[1]).clamp(min=1.0)

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: list) -> Dict[str, torch.Tensor]:
        """The detector's own losses plus ``loss_aux_seg``."""
        losses = super().loss(batch_inputs, batch_data_samples)
        if self.seg_loss_weight > 0 and self._train_scores is not None:
            losses['loss_aux_seg'] = self.seg_loss_weight * self.score_loss(self._train_scores, batch_data_samples)
        self._train_scores = None
        return losses


_DOC = """{} (the mmdet ``{}`` arguments, plus the text side).

    Args:
        text_encoder: ``CLIPTextTransformer`` config.
        class_names: class list, or a dataset class name such as ``'CocoDataset'``.
        prompting: ``'post'`` (default), ``'pre'`` or ``'none'``.
        context_decoder: ``ContextDecoder`` settings.
        num_context: learnable context tokens.
        score_concat_index: backbone map receiving ``score / tau`` (3 = C5).
        tau: temperature (paper: 0.07).
        seg_loss_weight: weight of the box-filled-mask auxiliary loss (paper: 1; 0 disables it).
        freeze_text_encoder: keep the text encoder fixed (no weight gradients; the prompts still learn).
        **kwargs: the mmdet detector's arguments.
"""


@register_model(into=('mmdet', ))
class DenseCLIPRetinaNet(_DenseCLIPDetector, RetinaNet):
    __doc__ = _DOC.format('DenseCLIP RetinaNet', 'RetinaNet')


@register_model(into=('mmdet', ))
class DenseCLIPFasterRCNN(_DenseCLIPDetector, FasterRCNN):
    __doc__ = _DOC.format('DenseCLIP Faster R-CNN', 'FasterRCNN')


@register_model(into=('mmdet', ))
class DenseCLIPMaskRCNN(_DenseCLIPDetector, MaskRCNN):
    __doc__ = _DOC.format('DenseCLIP Mask R-CNN', 'MaskRCNN')
