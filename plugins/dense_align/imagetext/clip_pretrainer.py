"""Image-text contrastive pre-training of a CLIP built from our encoders (symmetric InfoNCE, learnable temperature,
negatives gathered across processes)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from ..clip import ClipBPETokenizer, TextEmbeddingCache
from ..registry import MODELS


@MODELS.register_module()
class CLIPPretrainer(BaseModel):
    """A CLIP: image encoder + text encoder trained to match images with their captions.

    Args:
        image_encoder: config of an image encoder whose last two outputs are ``global_embed`` and ``dense_embed``
            (``CLIPResNet`` with ``with_attnpool=True`` or ``CLIPViT`` with ``with_embeddings=True``).
        text_encoder: config of a ``CLIPTextTransformer`` with the same ``output_dim``.
        init_temperature: initial softmax temperature (CLIP: 0.07).
        learn_temperature: train the temperature.
        class_names: classes scored zero-shot at prediction time (e.g. the dataset's classes); None disables it.
        template: prompt for zero-shot class embeddings.
        data_preprocessor: mmengine data preprocessor config (CLIP mean/std normalisation).
        init_cfg: mmengine init config.
    """

    def __init__(self, image_encoder: dict, text_encoder: dict, init_temperature: float = 0.07,
                 learn_temperature: bool = True, class_names: Optional[Sequence[str]] = None,
                 template: str = 'a photo of a {}.', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.image_encoder = MODELS.build(image_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        names = [spec.name for spec in self.image_encoder.output_shape()[-2:]]
        if names != ['global_embed', 'dense_embed']:
            raise ValueError(f'CLIPPretrainer: the image encoder must end with global_embed, dense_embed outputs '
                             f'(CLIPResNet with_attnpool=True / CLIPViT with_embeddings=True), got {names}')
        image_dim = self.image_encoder.output_shape()[-2].channels
        if image_dim != self.text_encoder.output_dim:
            raise ValueError(f'CLIPPretrainer: image embeddings have {image_dim} channels, text embeddings '
                             f'{self.text_encoder.output_dim}; they must share the joint space')
        self.temperature = LearnableTemperature(init_temperature, learnable=learn_temperature)
        self.tokenizer = ClipBPETokenizer(context_length=self.text_encoder.context_length)
        self.class_names = list(class_names) if class_names else None
        self.template = template
        self._class_cache = TextEmbeddingCache()

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, D) image embeddings (not normalised)."""
        return self.image_encoder(images)[-2]

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Texts -> (N, D) text embeddings (not normalised); long texts are truncated to the context length."""
        tokens = self.tokenizer(list(texts)).to(self.temperature.logit_scale.device)
        return self.text_encoder(tokens)

    def class_embeddings(self) -> torch.Tensor:
        """L2-normalised prompt embeddings of ``class_names``, cached while the text weights are unchanged."""
        prompts = [self.template.format(name) for name in self.class_names]
        return self._class_cache.get([self.text_encoder], prompts,
                                     lambda: F.normalize(self.encode_text(prompts), dim=-1))

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: one element per image with ``caption`` (and ``gt_label``, ``img_id`` for evaluation).
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``loss``: ``dict(loss_itc, logit_scale)``; ``predict``: one dict per image with normalised
            ``image_embed`` and ``text_embed``, ``zero_shot_scores`` (if ``class_names``), ``gt_label``, ``caption``;
            ``tensor``: image embeddings (B, D).
        """
        if mode == 'tensor':
            return self.encode_image(inputs)
        captions = [sample.caption for sample in data_samples]
        image_embed, text_embed = self.encode_image(inputs), self.encode_text(captions)
        scale = self.temperature()
        if mode == 'loss':
            return dict(loss_itc=symmetric_infonce(image_embed, text_embed, scale), logit_scale=scale.detach())
        if mode != 'predict':
            raise ValueError(f'CLIPPretrainer: unknown mode {mode!r}')
        image_embed, text_embed = F.normalize(image_embed, dim=-1), F.normalize(text_embed, dim=-1)
        scores = image_embed @ self.class_embeddings().t() if self.class_names else None
        return [dict(image_embed=image_embed[i].cpu(), text_embed=text_embed[i].cpu(), caption=s.caption,
                     gt_label=s.get('gt_label', -1), img_id=s.get('img_id'),
                     zero_shot_scores=None if scores is None else scores[i].cpu())
                for i, s in enumerate(data_samples)]
