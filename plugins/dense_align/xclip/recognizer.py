"""X-CLIP: video recognition by matching a video embedding with video-conditioned class text embeddings."""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from ..clip import ClipBPETokenizer, TextEmbeddingCache
from ..registry import MODELS
from .class_names import resolve_class_names
from .mit import MultiFrameIntegration
from .video_prompt import VideoSpecificPrompt


@MODELS.register_module()
class XCLIPRecognizer(BaseModel):
    """Cross-frame ViT -> multi-frame integration -> video embedding; class names -> CLIP text encoder -> text
    embeddings + video-specific prompts; logits = ``exp(logit_scale) * cos``.

    Module names follow the original X-CLIP (``visual``, ``mit``, ``prompts_generator``, ``prompts_visual_ln``,
    ``prompts_visual_proj``, ``logit_scale``); the text tower sits under ``text_encoder``.

    Args:
        visual: a ``CrossFrameViT`` config.
        text_encoder: a ``CLIPTextTransformer`` config (same ``output_dim``).
        class_names: names or an ``id,name`` class file; replace them (:meth:`set_class_names`, or
            ``model.class_names`` in a test config) to evaluate zero-shot on other classes.
        num_frames: frames per clip (T); the temporal embedding has T positions.
        template: text prompt, ``'{}'`` (the raw class name) in the paper.
        mit_layers: multi-frame integration blocks (1).
        mit_heads: their attention heads; default ``output_dim // 64``.
        prompt_layers: prompt-generator layers (2).
        prompt_alpha: initial prompt scale (0.1).
        prompt_heads: prompt-generator attention heads; default ``output_dim // 64``.
        freeze_text: keep the text encoder and ``logit_scale`` fixed (the paper's setting); the class embeddings are
            then computed once and cached until the class list changes.
        label_smoothing: smoothing of hard labels (soft targets from mixup/cutmix come smoothed already).
        data_preprocessor: a ``VideoDataPreprocessor`` config.
        init_cfg: mmengine init config (the encoders take CLIP weights through their own ``init_cfg``).
    """

    def __init__(self, visual: dict, text_encoder: dict, class_names: Union[str, Sequence[str]], num_frames: int = 8,
                 template: str = '{}', mit_layers: int = 1, mit_heads: int = 0, prompt_layers: int = 2,
                 prompt_alpha: float = 0.1, prompt_heads: int = 0,
                 freeze_text: bool = True, label_smoothing: float = 0.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if isinstance(data_preprocessor, dict):  # built here so that no default scope is needed
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.visual = MODELS.build(visual)
        self.text_encoder = MODELS.build(text_encoder)
        dim, width = self.text_encoder.output_dim, self.visual.arch['width']
        if self.visual.output_dim != dim:
            raise ValueError(f'XCLIPRecognizer: visual output_dim {self.visual.output_dim} != text output_dim {dim}')
        self.num_frames = num_frames
        self.mit = MultiFrameIntegration(num_frames, dim, mit_layers, mit_heads)
        self.prompts_generator = VideoSpecificPrompt(dim, prompt_layers, prompt_alpha, prompt_heads)
        self.prompts_visual_ln = nn.LayerNorm(width)
        self.prompts_visual_proj = nn.Parameter(torch.randn(width, dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(100.0)))  # CLIP's trained value
        self.tokenizer = ClipBPETokenizer(context_length=self.text_encoder.context_length)
        self.template = template
        self.freeze_text = freeze_text
        self.label_smoothing = label_smoothing
        self._text_cache = TextEmbeddingCache()
        self.set_class_names(class_names)
        if freeze_text:
            self.text_encoder.requires_grad_(False)
            self.logit_scale.requires_grad_(False)

    def set_class_names(self, class_names: Union[str, Sequence[str]]) -> None:
        """Score these classes from now on (no retraining: the text side is recomputed on the next call).

        Args:
            class_names: names or an ``id,name`` class file.
        """
        names = resolve_class_names(class_names)
        self.class_names_source = class_names if isinstance(class_names, str) else f'a list of {len(names)} names'
        prompts = [self.template.format(name) for name in names]
        for name, prompt in zip(names, prompts):
            ids = self.tokenizer.encode(prompt)
            if len(ids) + 2 > self.text_encoder.context_length:
                raise ValueError(f'class name {name!r} needs {len(ids) + 2} tokens; the text encoder holds '
                                 f'{self.text_encoder.context_length}')
        self.class_names = names

    def _check_blending(self) -> None:
        """Mixup/CutMix targets must have one entry per class name."""
        blending = getattr(self.data_preprocessor, 'blending', None)
        if blending is not None and blending.num_classes != len(self.class_names):
            raise ValueError(f'XCLIPRecognizer: data_preprocessor.blending.num_classes={blending.num_classes} but '
                             f'model.class_names ({self.class_names_source}) has {len(self.class_names)} names; '
                             'set num_classes to the number of class names')

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper) -> Dict[str, torch.Tensor]:
        """mmengine's training step, after checking that the blending matches the class list.

        Args:
            data: a batch from the data loader.
            optim_wrapper: the optimizer wrapper.

        Returns:
            The log variables.
        """
        self._check_blending()
        return super().train_step(data, optim_wrapper)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Refuse a checkpoint of another model size, naming the first key whose shape differs (mmengine's
        loader would only warn and train the mismatching weights from scratch). A temporal embedding for
        another frame count is left to :class:`MultiFrameIntegration`, which names the frame counts."""
        for key, own in self.state_dict().items():
            theirs = state_dict.get(prefix + key)
            if (isinstance(theirs, torch.Tensor) and theirs.shape != own.shape
                    and key != 'mit.positional_embedding'):
                raise ValueError(f'checkpoint key {prefix + key!r} has shape {tuple(theirs.shape)} but the model '
                                 f'expects {tuple(own.shape)}: the checkpoint is of another model size (ViT arch, '
                                 'width or embedding dim) than this config builds')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def class_text_embeddings(self) -> torch.Tensor:
        """(K, D) text embeddings of the class prompts (not normalised), cached while nothing changed."""
        prompts = [self.template.format(name) for name in self.class_names]

        def compute() -> torch.Tensor:
            return self.text_encoder(self.tokenizer(prompts).to(self.logit_scale.device))

        return self._text_cache.get([self.text_encoder], prompts, compute)

    def video_logits(self, videos: torch.Tensor) -> torch.Tensor:
        """Args:
            videos: (N, T, 3, H, W) normalised clips.

        Returns:
            (N, K) logits over ``class_names``.
        """
        if videos.dim() != 5 or videos.shape[1] != self.num_frames:
            raise ValueError(f'XCLIPRecognizer: expected (N, {self.num_frames}, 3, H, W) clips, got '
                             f'{tuple(videos.shape)}')
        frame_embeds, patches = self.visual.forward_video(videos)
        video = self.mit(frame_embeds)
        visual_tokens = (self.prompts_visual_ln(patches) @ self.prompts_visual_proj).mean(dim=1)
        text = self.class_text_embeddings().to(video.dtype).unsqueeze(0).expand(video.shape[0], -1, -1)
        text = text + self.prompts_generator(text, visual_tokens)
        video, text = F.normalize(video, dim=-1), F.normalize(text, dim=-1)
        return self.logit_scale.exp() * torch.einsum('nd,nkd->nk', video, text)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[BaseDataElement], torch.Tensor]:
        """Args:
            inputs: (B, V, T, 3, H, W) clips (V views per video: clips x crops), or (B, T, 3, H, W).
            data_samples: per video, ``gt_label`` (and ``gt_score`` soft targets after mixup/cutmix).
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``loss``: ``dict(loss_cls)``; ``predict``: the data samples with ``pred_score`` (softmax averaged over
            views) and ``pred_label``; ``tensor``: (B, V, K) logits.
        """
        if inputs.dim() == 5:
            inputs = inputs.unsqueeze(1)
        b, v = inputs.shape[:2]
        logits = self.video_logits(inputs.flatten(0, 1)).view(b, v, -1)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss_cls=self.loss(logits.flatten(0, 1), data_samples, v))
        if mode == 'predict':
            scores = logits.softmax(dim=-1).mean(dim=1)
            for sample, score in zip(data_samples, scores):
                sample.pred_score = score.detach()
                sample.pred_label = score.argmax().detach()
            return data_samples
        raise ValueError(f'XCLIPRecognizer: unknown mode {mode!r}; expected loss, predict or tensor')

    def loss(self, logits: torch.Tensor, data_samples: List[BaseDataElement], views: int = 1) -> torch.Tensor:
        """Soft-target cross-entropy (``gt_score`` if the preprocessor mixed the batch, else smoothed one-hot).

        Args:
            logits: (B * views, K).
            data_samples: per video, ``gt_score`` (K,) or ``gt_label``.
            views: views per video.

        Returns:
            Scalar loss.
        """
        k = logits.shape[-1]
        if all('gt_score' in s for s in data_samples):
            targets = torch.stack([s.gt_score for s in data_samples]).to(logits)
        else:
            labels = torch.as_tensor([int(s.gt_label) for s in data_samples], device=logits.device)
            if labels.min() < 0 or labels.max() >= k:
                raise ValueError(f'XCLIPRecognizer: labels must be in [0, {k}) for {k} classes; got '
                                 f'{labels.tolist()}')
            targets = F.one_hot(labels, k).to(logits) * (1 - self.label_smoothing) + self.label_smoothing / k
        targets = targets.repeat_interleave(views, dim=0)
        return -(targets * logits.log_softmax(dim=-1)).sum(dim=-1).mean()
