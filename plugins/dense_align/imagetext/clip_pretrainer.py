"""Image-text contrastive pre-training of a CLIP built from our encoders, trained as open_clip trains: symmetric
InfoNCE with negatives gathered across processes, a learnable temperature clamped after each step, optional
feature-cached accumulation and locked towers."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from align_core.feature_cache_accumulation import FeatureCacheAccumulator
from align_core.logit_scale_hook import refuse_plain_accumulation
from ..clip import ClipBPETokenizer, TextEmbeddingCache
from ..evaluation.zero_shot_classification import resolve_class_names, resolve_templates, zero_shot_classifier
from ..registry import MODELS


@MODELS.register_module()
class CLIPPretrainer(BaseModel):
    """A CLIP: image encoder + text encoder trained to match images with their captions.

    Args:
        image_encoder: config of an image encoder whose last two outputs are ``global_embed`` and ``dense_embed``
            (``CLIPResNet`` with ``with_attnpool=True`` or ``CLIPViT`` with ``with_embeddings=True``).
        text_encoder: config of a ``CLIPTextTransformer`` with the same ``output_dim``.
        init_temperature: initial softmax temperature (CLIP: 0.07).
        max_logit_scale: the scale's upper bound, kept by ``ClampLogitScaleHook`` (CLIP: 100).
        learn_temperature: train the temperature.
        class_names: classes scored zero-shot at prediction time, or ``'IMAGENET_CLASSNAMES'`` (open_clip's list);
            None disables zero-shot scores.
        templates: prompt templates (``{}``/``{c}`` format strings) ensembled per class, or the name of an
            open_clip template list (``'OPENAI_IMAGENET_TEMPLATES'``, ``'SIMPLE_IMAGENET_TEMPLATES'``).
        lock_image: freeze the whole image tower (every parameter, BatchNorm statistics, dropout), as open_clip's
            ``--lock-image`` / LiT.
        lock_text: freeze the whole text tower, as open_clip's ``--lock-text``.
        accum_steps: micro-batches per optimizer step with open_clip's feature-cached accumulation (the gradient of
            the big batch); keep mmengine's ``accumulative_counts`` at 1.
        data_preprocessor: mmengine data preprocessor config (CLIP mean/std normalisation).
        init_cfg: mmengine init config.
    """

    def __init__(self, image_encoder: dict, text_encoder: dict, init_temperature: float = 0.07,
                 max_logit_scale: float = 100.0, learn_temperature: bool = True,
                 class_names: Optional[Union[str, Sequence[str]]] = None,
                 templates: Union[str, Sequence[str]] = ('a photo of a {}.', ), lock_image: bool = False,
                 lock_text: bool = False, accum_steps: int = 1, data_preprocessor: Optional[dict] = None,
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
        self.temperature = LearnableTemperature(init_temperature, max_logit_scale, learnable=learn_temperature)
        self.context_length = self.text_encoder.context_length
        self.tokenizer = ClipBPETokenizer(context_length=self.context_length)
        self.class_names = resolve_class_names(class_names) if class_names else None
        self.templates = resolve_templates(templates)
        self._class_cache = TextEmbeddingCache()
        self.locked = [tower for tower, lock in (('image_encoder', lock_image), ('text_encoder', lock_text)) if lock]
        for tower in self.locked:
            getattr(self, tower).requires_grad_(False)
        self.accum_steps = accum_steps
        self._accumulator = FeatureCacheAccumulator(accum_steps)
        self._warned_unclamped = False

    @property
    def has_own_train_step(self) -> bool:
        """True with feature-cached accumulation: under DDP, ``OwnTrainStepDDP`` must run :meth:`train_step`."""
        return self.accum_steps > 1

    def train(self, mode: bool = True) -> 'CLIPPretrainer':
        """Switch train/eval mode; locked towers stay in eval mode (BatchNorm statistics frozen)."""
        super().train(mode)
        for tower in self.locked:
            getattr(self, tower).eval()
        return self

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, D) image embeddings (not normalised)."""
        return self.image_encoder(images)[-2]

    def encode_text(self, texts: Union[Sequence[str], torch.Tensor]) -> torch.Tensor:
        """Texts or (N, L) token ids -> (N, D) text embeddings (not normalised); long texts are truncated."""
        tokens = texts if isinstance(texts, torch.Tensor) else self.tokenizer(list(texts))
        if tokens.shape[-1] != self.context_length:
            raise ValueError(f'CLIPPretrainer: tokens have length {tokens.shape[-1]}, the text encoder takes '
                             f'{self.context_length}; set TokenizeCaption(context_length={self.context_length})')
        return self.text_encoder(tokens.to(self.temperature.logit_scale.device))

    def class_embeddings(self) -> torch.Tensor:
        """(C, D) template-ensemble embeddings of ``class_names``, cached while the text weights are unchanged."""
        key = [f'{t}' for t in self.templates] + self.class_names
        return self._class_cache.get([self.text_encoder], key,
                                     lambda: zero_shot_classifier(self.encode_text, self.class_names, self.templates))

    def _caption_tokens(self, samples: Sequence[BaseDataElement]) -> torch.Tensor:
        """(B, L) tokens of each sample's training caption: ``text_tokens`` from the pipeline, else ``caption``."""
        if all('text_tokens' in s for s in samples):
            return torch.stack([s.text_tokens for s in samples])
        if not all(isinstance(s.get('caption'), str) for s in samples):
            raise KeyError('CLIPPretrainer: training samples need one "caption" (put SampleCaption in the training '
                           'pipeline) or its "text_tokens" (TokenizeCaption)')
        return self.tokenizer([s.caption for s in samples])

    def _embed_pair(self, data: dict) -> Tuple[torch.Tensor, torch.Tensor]:
        """Image and caption embeddings of a preprocessed batch."""
        return self.encode_image(data['inputs']), self.encode_text(self._caption_tokens(data['data_samples']))

    def _scale(self, live: bool = True) -> torch.Tensor:
        """The logit scale (detached when ``live`` is False); warns once if it is above its bound."""
        temperature = self.temperature
        if not self._warned_unclamped and temperature.logit_scale.item() > temperature.max_log + 1e-6:
            print_log('CLIPPretrainer: logit_scale is above its bound; add custom_hooks=[dict('
                      'type="ClampLogitScaleHook")] to clamp it after each step as open_clip does', level=30)
            self._warned_unclamped = True
        scale = self.temperature()
        return scale if live else scale.detach()

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper) -> Dict[str, torch.Tensor]:
        """One training iteration; with ``accum_steps > 1`` one micro-batch of feature-cached accumulation.

        Micro-batches are cached with their gradient-free features; at the last one every micro-batch is re-run with
        gradients against the cached features of the others (open_clip's ``--accum-freq``), then one optimizer
        step. ``max_iters`` and the schedules count micro-batches, as with mmengine's own accumulation.

        Args:
            data: a batch from the dataloader.
            optim_wrapper: the optimizer wrapper.

        Returns:
            The log variables (empty on iterations that only cache).
        """
        refuse_plain_accumulation(getattr(optim_wrapper, '_accumulative_counts', 1), 'CLIPPretrainer')
        if self.accum_steps == 1:
            return super().train_step(data, optim_wrapper)
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            if not self._accumulator.add(data, self._embed_pair):
                return {}

        def encode(batch: dict) -> Tuple[torch.Tensor, torch.Tensor]:
            with optim_wrapper.optim_context(self):
                return self._embed_pair(batch)

        def loss_fn(features: Tuple[torch.Tensor, ...], live: bool) -> torch.Tensor:
            return symmetric_infonce(features[0], features[1], self._scale(live))

        loss = self._accumulator.backward(encode, loss_fn, optim_wrapper.backward)
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        return dict(loss=loss, loss_itc=loss, logit_scale=self._scale(False))

    def _predict(self, inputs: torch.Tensor, data_samples: Sequence[BaseDataElement]) -> List[dict]:
        """Normalised image embeddings, every caption's embedding and the zero-shot class scores."""
        image_embed = F.normalize(self.encode_image(inputs), dim=-1)
        scores = image_embed @ self.class_embeddings().t() if self.class_names else None
        out = []
        for i, sample in enumerate(data_samples):
            if 'captions_tokens' in sample:
                texts = sample.captions_tokens
            elif sample.get('captions') or sample.get('caption'):
                texts = list(sample.get('captions') or [sample.caption])
            else:
                texts = None
            text_embed = None if texts is None else F.normalize(self.encode_text(texts), dim=-1).cpu()
            out.append(dict(image_embed=image_embed[i].cpu(), text_embed=text_embed,
                            captions=sample.get('captions', [sample.get('caption')] if 'caption' in sample else []),
                            gt_label=sample.get('gt_label', -1), img_id=sample.get('img_id'),
                            zero_shot_scores=None if scores is None else scores[i].cpu()))
        return out

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: one element per image with ``caption``/``text_tokens`` (training) or ``captions``/
                ``captions_tokens`` (retrieval), ``gt_label`` and ``img_id``.
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``loss``: ``dict(loss_itc, logit_scale)``; ``predict``: one dict per image with normalised
            ``image_embed``, ``text_embed`` (n_i, D) of its captions (None without captions),
            ``zero_shot_scores`` (if ``class_names``), ``gt_label``, ``img_id``, ``captions``;
            ``tensor``: image embeddings (B, D).
        """
        if mode == 'tensor':
            return self.encode_image(inputs)
        if mode == 'predict':
            return self._predict(inputs, data_samples)
        if mode != 'loss':
            raise ValueError(f'CLIPPretrainer: unknown mode {mode!r}')
        if self.accum_steps > 1:
            raise RuntimeError('CLIPPretrainer: accum_steps > 1 runs in the model\'s train_step, which mmengine\'s '
                               'DDP wrapper bypasses; set model_wrapper_cfg=dict(type="OwnTrainStepDDP")')
        image_embed, text_embed = self._embed_pair(dict(inputs=inputs, data_samples=data_samples))
        scale = self._scale()
        return dict(loss_itc=symmetric_infonce(image_embed, text_embed, scale), logit_scale=scale.detach())
