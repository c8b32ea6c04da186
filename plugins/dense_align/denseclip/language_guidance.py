"""The part DenseCLIP adds to any dense model: class text embeddings, the pixel-text score map, and its
concatenation into one backbone level before the neck. Shared by the segmentor and the detectors."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.registry import Registry

from .text_features import ContextAwarePrompting


def resolve_class_names(class_names: Union[str, Sequence[str], None], datasets: Optional[Registry] = None,
                        owner: str = 'DenseCLIP') -> List[str]:
    """Class names given as a list, or as the name of a registered dataset class whose ``METAINFO['classes']`` to use.

    Args:
        class_names: e.g. ``['background', 'cat']`` or ``'ADE20KDataset'`` / ``'CocoDataset'``.
        datasets: the DATASETS registry to look the name up in.
        owner: model name for messages.

    Returns:
        The class names.
    """
    if not class_names:
        raise ValueError(f'{owner} needs class_names: a list, e.g. class_names=metainfo["classes"], or the name of a '
                         "dataset class, e.g. class_names='ADE20KDataset'; the Runner does not pass the dataset "
                         'classes to the model')
    if isinstance(class_names, str):
        dataset = datasets.get(class_names) if datasets is not None else None
        if dataset is None or 'classes' not in getattr(dataset, 'METAINFO', {}):
            raise KeyError(f"class_names={class_names!r} is neither a list nor a dataset with METAINFO['classes']")
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


class LanguageGuidanceMixin:
    """Mixin for mmseg/mmdet models with ``backbone`` and optional ``neck``: adds ``text_encoder`` and ``prompting``
    and computes language-guided features."""

    def init_language_guidance(self, text_encoder: dict, class_names: List[str], models: Registry, neck: Optional[dict],
                               prompting: str, context_decoder: Optional[dict], num_context: int,
                               score_concat_index: int, concat_scale: float, freeze_text_encoder: bool = True) -> None:
        """Check the backbone/neck contract and build the text side.

        Args:
            text_encoder: ``CLIPTextTransformer`` config.
            class_names: the classes.
            models: the MODELS registry of the host codebase.
            neck: the neck config (its ``in_channels`` at ``score_concat_index`` must include the K score channels).
            prompting: ``'post'``, ``'pre'`` or ``'none'``.
            context_decoder: ``ContextDecoder`` settings.
            num_context: learnable context tokens.
            score_concat_index: backbone map that receives the score map.
            concat_scale: factor on the scores before concatenation (detectors: 1 / tau).
            freeze_text_encoder: keep the text encoder's weights fixed (``requires_grad=False``: no weight gradients
                are computed, gradients still reach the prompts). False trains it, e.g. at an ``lr_mult`` set
                through ``paramwise_cfg``.
        """
        name = type(self).__name__
        specs = self.backbone.output_shape()
        if [s.name for s in specs[-2:]] != ['global_embed', 'dense_embed']:
            raise ValueError(f'{name}: the backbone must return global_embed and dense_embed (CLIPResNet '
                             'with_attnpool=True / CLIPViT with_embeddings=True / BackboneWithAttentionPool)')
        maps = specs[:-2]
        if not 0 <= score_concat_index < len(maps):
            raise ValueError(f'{name}: score_concat_index {score_concat_index} is outside the {len(maps)} backbone maps')
        expected = maps[score_concat_index].channels + len(class_names)
        neck_in = (neck or {}).get('in_channels')
        if isinstance(neck_in, (list, tuple)) and neck_in[score_concat_index] != expected:
            raise ValueError(f'{name}: neck.in_channels[{score_concat_index}] is {neck_in[score_concat_index]} but the '
                             f'backbone map ({maps[score_concat_index].channels} channels) plus {len(class_names)} '
                             f'score channels gives {expected}')
        self.text_encoder = models.build(text_encoder)
        if freeze_text_encoder:
            self.text_encoder.requires_grad_(False)
        self.prompting = ContextAwarePrompting(self.text_encoder, class_names, prompting, context_decoder, num_context)
        self.class_names = class_names
        self.score_concat_index = score_concat_index
        self.concat_scale = concat_scale

    def language_guided_features(self, inputs: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """Backbone, prompting, score map, concatenation and neck.

        Args:
            inputs: (B, 3, H, W) normalised images.

        Returns:
            ``(neck features, score map (B, K, h, w) in [-1, 1] at the dense-embedding stride)``.
        """
        *maps, global_embed, dense_embed = self.backbone(inputs)
        text = self.prompting(self.text_encoder, global_embed, dense_embed)
        scores = pixel_text_scores(dense_embed, text)
        level = maps[self.score_concat_index]
        to_concat = scores * self.concat_scale
        if to_concat.shape[-2:] != level.shape[-2:]:
            to_concat = F.interpolate(to_concat, size=level.shape[-2:], mode='bilinear', align_corners=False)
        maps[self.score_concat_index] = torch.cat([level, to_concat], dim=1)
        return (list(self.neck(maps)) if self.with_neck else maps), scores
