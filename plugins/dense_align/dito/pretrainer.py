"""DITO pre-training: a detector-shaped image tower (CLIP ViT -> simple pyramid -> FPN -> RoIAlign -> Fast R-CNN box
head -> text projection) trained on image-caption pairs with the image-text contrastive loss only."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from ..clip import ClipBPETokenizer
from ..registry import MODELS
from .region_pairing import check_pairing, mean_of_unit, random_rois, whole_image_rois


@MODELS.register_module()
class DITOPretrainer(BaseModel):
    """Region-level image-text pre-training with the modules, and module names, the detector keeps.

    ``backbone``, ``neck`` and ``bbox_head`` have the names and classes of :class:`DITOFasterRCNN`'s ``backbone``,
    ``neck`` and ``roi_head.bbox_head``, so the detector loads them with ``init_cfg=dict(type='Pretrained',
    checkpoint=..., prefix='backbone.')`` (``'neck.'``, ``'bbox_head.'``, ``'text_encoder.'``).

    Args:
        backbone: ``CLIPViT`` config with ``pyramid=True`` (windowed attention, shifted pass).
        neck: mmdet ``FPN`` config on the pyramid (this and the next two are built in mmdet's scope).
        bbox_roi_extractor: mmdet ``SingleRoIExtractor`` config; its ``featmap_strides`` name the pooled levels.
        bbox_head: ``DITOTextBBoxHead`` config (``with_reg=False, with_background_embed=False``).
        text_encoder: ``CLIPTextTransformer`` config whose ``output_dim`` is the head's ``text_dim``.
        pairing: one of :data:`~.region_pairing.PAIRINGS`.
        num_random_boxes: boxes per image and level for ``random_boxes_mean``.
        min_box_side: smallest random box side, as a fraction of the image side.
        init_temperature: initial softmax temperature (CLIP: 0.07), learnable, clamped by ``ClampLogitScaleHook``.
        data_preprocessor: mmengine data preprocessor config.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_roi_extractor: dict, bbox_head: dict, text_encoder: dict,
                 pairing: str = 'image_box_mean', num_random_boxes: int = 4, min_box_side: float = 0.25,
                 init_temperature: float = 0.07, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.pairing = check_pairing(pairing)
        self.backbone = MODELS.build(backbone)
        with DefaultScope.overwrite_default_scope('mmdet'):  # the detector's modules, built as mmdet builds them
            from mmdet.registry import MODELS as MMDET_MODELS
            self.neck = MMDET_MODELS.build(neck)
            self.bbox_roi_extractor = MMDET_MODELS.build(bbox_roi_extractor)
            self.bbox_head = MMDET_MODELS.build(bbox_head)
        self.text_encoder = MODELS.build(text_encoder)
        if self.bbox_head.text_proj.out_features != self.text_encoder.output_dim:
            raise ValueError(f'DITOPretrainer: bbox_head.text_dim={self.bbox_head.text_proj.out_features} but the text '
                             f'encoder has output_dim={self.text_encoder.output_dim}')
        self.num_random_boxes = num_random_boxes
        self.min_box_side = min_box_side
        self.temperature = LearnableTemperature(init_temperature)
        self.tokenizer = ClipBPETokenizer(context_length=self.text_encoder.context_length)

    def level_features(self, images: torch.Tensor) -> List[torch.Tensor]:
        """(B, 3, H, W) -> the FPN maps at the RoI extractor's strides."""
        feats = self.neck(self.backbone(images)[:4])
        # contiguous NCHW for any backbone/neck (a channels-last map stays so through convolutions), as mmcv's CPU
        # roi_align reads the storage as contiguous NCHW whatever the strides; free when already contiguous
        return [f.contiguous() for f in feats[:len(self.bbox_roi_extractor.featmap_strides)]]

    def region_embeddings(self, feats: Sequence[torch.Tensor], rois: torch.Tensor) -> List[torch.Tensor]:
        """Pool the same rois at every level (not mmdet's size-to-level mapping) and embed them.

        Args:
            feats: one (B, C, h, w) map per level.
            rois: (N, 5) rois in input pixels.

        Returns:
            Per level, (N, D) region embeddings.
        """
        layers = self.bbox_roi_extractor.roi_layers
        return [self.bbox_head.region_embed(layer(feat, rois)) for layer, feat in zip(layers, feats)]

    def image_embeddings(self, images: torch.Tensor, pairing: Optional[str] = None) -> List[torch.Tensor]:
        """Region-level image embeddings as the pairing defines them.

        Args:
            images: (B, 3, H, W) normalised images.
            pairing: override of ``self.pairing`` (prediction uses the whole-image boxes).

        Returns:
            A list of (B, D) embeddings, one per InfoNCE term (one, or one per level for ``image_box_per_level``).
        """
        pairing = pairing or self.pairing
        b, _, h, w = images.shape
        feats = self.level_features(images)
        if pairing == 'random_boxes_mean':
            embeds = [self.bbox_head.region_embed(layer(feat, random_rois(
                b, self.num_random_boxes, h, w, self.min_box_side, device=images.device)))
                for layer, feat in zip(self.bbox_roi_extractor.roi_layers, feats)]
            return [mean_of_unit(embeds, b)]
        embeds = self.region_embeddings(feats, whole_image_rois(b, h, w, images.device))
        return embeds if pairing == 'image_box_per_level' else [mean_of_unit(embeds, b)]

    def encode_text(self, texts: Union[Sequence[str], torch.Tensor]) -> torch.Tensor:
        """Texts or (N, L) token ids -> (N, D) text embeddings (not normalised)."""
        tokens = texts if isinstance(texts, torch.Tensor) else self.tokenizer(list(texts))
        return self.text_encoder(tokens.to(self.temperature.logit_scale.device))

    def _caption_tokens(self, samples: Sequence[BaseDataElement]) -> torch.Tensor:
        if all('text_tokens' in s for s in samples):
            return torch.stack([s.text_tokens for s in samples])
        if not all(isinstance(s.get('caption'), str) for s in samples):
            raise KeyError('DITOPretrainer: training samples need one "caption" (SampleCaption in the pipeline) or '
                           'its "text_tokens" (TokenizeCaption)')
        return self.tokenizer([s.caption for s in samples])

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """Symmetric InfoNCE between the pairing's image embedding(s) and the captions, averaged over terms.

        Returns:
            ``dict(loss_itc, logit_scale)``.
        """
        text = self.encode_text(self._caption_tokens(data_samples))
        scale = self.temperature()
        terms = [symmetric_infonce(image, text, scale) for image in self.image_embeddings(inputs)]
        return dict(loss_itc=torch.stack(terms).mean(), logit_scale=scale.detach())

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: with ``caption``/``text_tokens`` (loss) or ``captions``/``captions_tokens`` (predict).
            mode: ``'loss'``, ``'predict'`` (retrieval outputs for ``ImageTextMetric``) or ``'tensor'``.

        Returns:
            ``loss``: the loss dict; ``predict``: one dict per image (normalised ``image_embed`` from the
            whole-image box at every level, ``text_embed`` of its captions, ``captions``, ``img_id``,
            ``gt_label``, ``zero_shot_scores=None``); ``tensor``: (B, D) image embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        image = self.image_embeddings(inputs, 'image_box_mean')[0]
        if mode == 'tensor':
            return image
        if mode != 'predict':
            raise ValueError(f'DITOPretrainer: unknown mode {mode!r}')
        image = F.normalize(image, dim=-1)
        out = []
        for i, sample in enumerate(data_samples):
            texts = sample.captions_tokens if 'captions_tokens' in sample else sample.get('captions')
            text = None if texts is None else F.normalize(self.encode_text(texts), dim=-1).cpu()
            out.append(dict(image_embed=image[i].cpu(), text_embed=text, captions=sample.get('captions', []),
                            gt_label=sample.get('gt_label', -1), img_id=sample.get('img_id'), zero_shot_scores=None))
        return out
