"""DenseCLIP for semantic segmentation on mmseg 1.x: pixel-text score maps from a CLIP image encoder, fed to the
neck/decode head and supervised by an auxiliary loss."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import MODELS as MMSEG_MODELS

from ..registration import register_model
from .language_guidance import LanguageGuidanceMixin, resolve_class_names


@register_model(into=('mmseg', ))
class DenseCLIPSegmentor(LanguageGuidanceMixin, EncoderDecoder):
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
        score_loss_avg_non_ignore: average that loss over the labelled pixels only; False (the reference, whose
            mmseg 0.x cross-entropy averaged over all pixels, ignored ones counting as 0) divides by every pixel.
        freeze_text_encoder: keep the text encoder fixed (no weight gradients; the prompts still learn); False
            trains it (e.g. at an ``lr_mult`` through ``paramwise_cfg``).
        **kwargs: ``auxiliary_head``, ``train_cfg``, ``test_cfg``, ``data_preprocessor``, ``init_cfg``.
    """

    def __init__(self, backbone: dict, text_encoder: dict, decode_head: dict,
                 class_names: Union[str, Sequence[str], None] = None, neck: Optional[dict] = None,
                 prompting: str = 'post', context_decoder: Optional[dict] = None, num_context: int = 8,
                 score_concat_index: int = 3, tau: float = 0.07,
                 score_loss_weight: float = 0.4, score_loss_avg_non_ignore: bool = False,
                 freeze_text_encoder: bool = True, **kwargs) -> None:
        import mmseg.datasets  # noqa: F401  (registers the dataset classes named by class_names)
        class_names = resolve_class_names(class_names, MMSEG_DATASETS, 'DenseCLIPSegmentor')
        if decode_head.get('num_classes') != len(class_names):
            raise ValueError(f'DenseCLIPSegmentor: {len(class_names)} class_names but decode_head.num_classes='
                             f'{decode_head.get("num_classes")}')
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck, **kwargs)
        self.init_language_guidance(text_encoder, class_names, MMSEG_MODELS, neck, prompting, context_decoder,
                                    num_context, score_concat_index, concat_scale=1.0,
                                    freeze_text_encoder=freeze_text_encoder)
        self.tau = tau
        self.score_loss_weight = score_loss_weight
        self.score_loss_avg_non_ignore = score_loss_avg_non_ignore

    def extract_feat(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """Features for the decode head (used by mmseg's whole/slide inference)."""
        return self.language_guided_features(inputs)[0]

    def score_loss(self, scores: torch.Tensor, data_samples: list) -> Dict[str, torch.Tensor]:
        """Cross-entropy of ``scores / tau``, upsampled to the label size, against the ground truth; ignored pixels
        add 0 and count in the mean unless ``score_loss_avg_non_ignore``."""
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1).long()
        logits = F.interpolate(scores / self.tau, size=labels.shape[-2:], mode='bilinear', align_corners=False)
        ignore = self.decode_head.ignore_index
        per_pixel = F.cross_entropy(logits, labels, ignore_index=ignore, reduction='none')
        count = (labels != ignore).sum().clamp(min=1) if self.score_loss_avg_non_ignore else labels.numel()
        return {'score.loss_ce': self.score_loss_weight * per_pixel.sum() / count}

    def loss(self, inputs: torch.Tensor, data_samples: list) -> Dict[str, torch.Tensor]:
        """Decode-head (and auxiliary-head) losses plus the score-map loss.

        Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: ``SegDataSample`` list with ``gt_sem_seg``.

        Returns:
            Loss dict: ``decode.*``, ``aux*.*``, ``score.loss_ce``.
        """
        x, scores = self.language_guided_features(inputs)
        losses = self._decode_head_forward_train(x, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        if self.score_loss_weight > 0:
            losses.update(self.score_loss(scores, data_samples))
        return losses
