"""DenseCLIP for semantic segmentation on mmseg 1.x: pixel-text score maps from a CLIP image encoder, fed to the
neck/decode head and supervised by an auxiliary loss."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as MMSEG_MODELS

from ..registration import register_model
from .text_features import ContextAwarePrompting


def resolve_class_names(class_names: Union[str, Sequence[str], None]) -> List[str]:
    """Class names given as a list, or as the name of an mmseg dataset class whose ``METAINFO['classes']`` to use.

    Args:
        class_names: e.g. ``['background', 'cat']`` or ``'ADE20KDataset'``.

    Returns:
        The class names.
    """
    if not class_names:
        raise ValueError('DenseCLIPSegmentor needs class_names: a list, e.g. class_names=metainfo["classes"], or '
                         "the name of an mmseg dataset class, e.g. class_names='ADE20KDataset'; the Runner does not "
                         'pass the dataset classes to the model')
    if isinstance(class_names, str):
        import mmseg.datasets  # noqa: F401  (registers the datasets)
        from mmseg.registry import DATASETS
        dataset = DATASETS.get(class_names)
        if dataset is None or 'classes' not in getattr(dataset, 'METAINFO', {}):
            raise KeyError(f"class_names={class_names!r} is neither a list nor an mmseg dataset with METAINFO['classes']")
        return list(dataset.METAINFO['classes'])
    return list(class_names)


def pixel_text_scores(dense_embed: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every position with every class.

    Args:
        dense_embed: (B, D, h, w) dense visual embeddings.
        text: (B, K, D) class text embeddings.

    Returns:
        (B, K, h, w) score map in [-1, 1].
    """
    return torch.einsum('bdhw,bkd->bkhw', F.normalize(dense_embed, dim=1), F.normalize(text, dim=2))


@register_model(into=('mmseg', ))
class DenseCLIPSegmentor(EncoderDecoder):
    """DenseCLIP (Rao et al., CVPR 2022) on mmseg's ``EncoderDecoder`` (slide/whole inference and TTA as mmseg's).

    The backbone (``CLIPResNet`` with ``with_attnpool=True`` or ``CLIPViT`` with ``with_embeddings=True``) gives
    feature maps plus global and dense embeddings; class text embeddings come from learned prompts and
    context-aware prompting; the pixel-text score map (K channels) is concatenated to the feature map at
    ``score_concat_index`` before the neck, and ``score / tau`` gets an auxiliary cross-entropy loss.

    Args:
        backbone: CLIP image encoder config.
        text_encoder: ``CLIPTextTransformer`` config.
        decode_head: mmseg decode head config; ``num_classes`` must equal ``len(class_names)``.
        class_names: class names (the dataset's ``metainfo['classes']``) or the name of an mmseg dataset class
            (e.g. ``'ADE20KDataset'``) whose classes to use; required.
        neck: neck config (e.g. mmseg ``FPN``); its ``in_channels`` at ``score_concat_index`` must include the K
            score channels.
        prompting: ``'post'`` (paper default), ``'pre'`` (ablation) or ``'none'``.
        context_decoder: ``ContextDecoder`` settings (``width``, ``heads``, ``layers``, ``dropout``).
        num_context: learnable context tokens (paper: 8).
        score_concat_index: feature level receiving the score map (ResNet: 3 = C5; ViT: 2).
        tau: temperature of the auxiliary score loss (paper: 0.07).
        score_loss_weight: weight of that loss (paper: 0.4); 0 disables it.
        **kwargs: ``auxiliary_head``, ``train_cfg``, ``test_cfg``, ``data_preprocessor``, ``init_cfg``.
    """

    def __init__(self, backbone: dict, text_encoder: dict, decode_head: dict,
                 class_names: Union[str, Sequence[str], None] = None, neck: Optional[dict] = None, prompting: str = 'post', context_decoder: Optional[dict] = None,
                 num_context: int = 8, score_concat_index: int = 3, tau: float = 0.07,
                 score_loss_weight: float = 0.4, **kwargs) -> None:
        class_names = resolve_class_names(class_names)
        if decode_head.get('num_classes') != len(class_names):
            raise ValueError(f'DenseCLIPSegmentor: {len(class_names)} class_names but decode_head.num_classes='
                             f'{decode_head.get("num_classes")}')
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck, **kwargs)
        specs = self.backbone.output_shape()
        if [s.name for s in specs[-2:]] != ['global_embed', 'dense_embed']:
            raise ValueError('DenseCLIPSegmentor: the backbone must return global_embed and dense_embed '
                             '(CLIPResNet with_attnpool=True / CLIPViT with_embeddings=True)')
        maps = specs[:-2]
        if not 0 <= score_concat_index < len(maps):
            raise ValueError(f'score_concat_index {score_concat_index} is outside the {len(maps)} backbone maps')
        expected = maps[score_concat_index].channels + len(class_names)
        neck_in = (neck or {}).get('in_channels')
        if isinstance(neck_in, (list, tuple)) and neck_in[score_concat_index] != expected:
            raise ValueError(f'neck.in_channels[{score_concat_index}] is {neck_in[score_concat_index]} but the '
                             f'backbone map ({maps[score_concat_index].channels} channels) plus {len(class_names)} '
                             f'score channels gives {expected}')
        self.text_encoder = MMSEG_MODELS.build(text_encoder)
        self.prompting = ContextAwarePrompting(self.text_encoder, class_names, prompting, context_decoder,
                                               num_context)
        self.class_names = list(class_names)
        self.score_concat_index = score_concat_index
        self.tau = tau
        self.score_loss_weight = score_loss_weight

    def features_and_scores(self, inputs: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """Backbone, prompting, score map, concatenation and neck.

        Args:
            inputs: (B, 3, H, W) normalised images.

        Returns:
            ``(neck features, score map (B, K, H/32, W/32) in [-1, 1])``.
        """
        *maps, global_embed, dense_embed = self.backbone(inputs)
        text = self.prompting(self.text_encoder, global_embed, dense_embed)
        scores = pixel_text_scores(dense_embed, text)
        level = maps[self.score_concat_index]
        if scores.shape[-2:] != level.shape[-2:]:
            scores_for_level = F.interpolate(scores, size=level.shape[-2:], mode='bilinear', align_corners=False)
        else:
            scores_for_level = scores
        maps[self.score_concat_index] = torch.cat([level, scores_for_level], dim=1)
        return (self.neck(maps) if self.with_neck else maps), scores

    def extract_feat(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """Features for the decode head (used by mmseg's whole/slide inference)."""
        return self.features_and_scores(inputs)[0]

    def score_loss(self, scores: torch.Tensor, data_samples: list) -> Dict[str, torch.Tensor]:
        """Cross-entropy of ``scores / tau``, upsampled to the label size, against the ground truth (ignore 255)."""
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1).long()
        logits = F.interpolate(scores / self.tau, size=labels.shape[-2:], mode='bilinear', align_corners=False)
        ignore = self.decode_head.ignore_index
        return {'score.loss_ce': self.score_loss_weight * F.cross_entropy(logits, labels, ignore_index=ignore)}

    def loss(self, inputs: torch.Tensor, data_samples: list) -> Dict[str, torch.Tensor]:
        """Decode-head (and auxiliary-head) losses plus the score-map loss.

        Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: ``SegDataSample`` list with ``gt_sem_seg``.

        Returns:
            Loss dict: ``decode.*``, ``aux*.*``, ``score.loss_ce``.
        """
        x, scores = self.features_and_scores(inputs)
        losses = self._decode_head_forward_train(x, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        if self.score_loss_weight > 0:
            losses.update(self.score_loss(scores, data_samples))
        return losses
