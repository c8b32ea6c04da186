"""MOFI: a CLIP image tower trained on entity-labelled images with an entity classifier over a very large
vocabulary (sharded, optionally sampled), a CLIP-style contrastive head with entity names as text, or both."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.structures import BaseDataElement

from align_core.contrastive import symmetric_infonce
from align_core.distributed import rank_and_world_size
from align_core import sharded_checkpoint  # noqa: F401  (registers ShardedClassifierCheckpointHook)
from align_core.sharded_classifier import ShardedClassifier
from ..imagetext.clip_pretrainer import CLIPPretrainer
from ..registry import MODELS
from .text_align_tower import TextAlignTower, is_text_align_config


def pad_entity_labels(samples: Sequence[BaseDataElement], device: torch.device) -> torch.Tensor:
    """(B, K) class indices of each sample's ``entity_labels``, padded with -1."""
    labels = [list(s.get('entity_labels', [])) for s in samples]
    empty = [i for i, row in enumerate(labels) if not row]
    if empty:
        ids = [samples[i].get('img_id') for i in empty[:5]]
        raise KeyError(f'MOFIPretrainer: samples {ids} have no entity_labels (use EntityImageDataset and '
                       f'PackImageEntities)')
    out = torch.full((len(labels), max(map(len, labels))), -1, dtype=torch.long)
    for i, row in enumerate(labels):
        out[i, :len(row)] = torch.tensor(row)
    return out.to(device)


@MODELS.register_module()
class MOFIPretrainer(CLIPPretrainer):
    """MOFI's three recipes on one model: supervised entity classification (``loss_weights['cls']``), contrastive
    image / entity-text learning (``loss_weights['con']``) and their weighted sum (multi-task).

    The classifier takes the image embedding (CLIP's ``global_embed``) and scores it against every entity with
    :class:`align_core.sharded_classifier.ShardedClassifier`: under several processes each holds
    ``num_entities / world`` rows of the weight (uneven shards allowed), the softmax statistics are all-reduced, and
    ``sample_rate < 1`` scores only the batch's positives plus a random part of the other entities (PartialFC).
    Images with several entities get a target spread evenly over them. The contrastive head pairs each image with
    the text of one of its entities (``SampleEntityText``: name, plus description when present) through the CLIP
    text tower, or through a ``text_align`` sentence encoder when ``text_encoder`` is one (wrapped in
    :class:`TextAlignTower`; it reads the texts themselves, so CLIP tokens from ``TokenizeCaption`` are ignored),
    with CLIP's symmetric InfoNCE and learnable temperature.

    A head whose weight is 0 is not computed (the text tower then only serves zero-shot scores at prediction).

    Args:
        image_encoder: ``CLIPViT`` config with ``with_embeddings=True``.
        text_encoder: ``CLIPTextTransformer`` config with the same ``output_dim``, or a ``text_align`` encoder config
            (``dict(type='text_align.TextEncoder', model_path=..., projection_dim=<image width>)``).
        num_entities: size of the entity vocabulary (classes of the classifier).
        loss_weights: ``dict(cls=..., con=...)``; the paper's weights are not stated.
        classifier: :class:`ShardedClassifier` options (``sample_rate``, ``normalize``, ``scale``, ``bias``).
        **kwargs: :class:`CLIPPretrainer` arguments (``init_temperature``, ``class_names`` for zero-shot scores
            with entity names, ``templates``, ``lock_text``, ``data_preprocessor``...); ``accum_steps`` must stay 1.
    """

    def __init__(self, image_encoder: dict, text_encoder: dict, num_entities: int,
                 loss_weights: Optional[Dict[str, float]] = None, classifier: Optional[dict] = None,
                 **kwargs) -> None:
        if kwargs.get('accum_steps', 1) != 1:
            raise ValueError('MOFIPretrainer: feature-cached accumulation (accum_steps > 1) is not supported')
        if is_text_align_config(text_encoder):
            text_encoder = dict(type='TextAlignTower', encoder=text_encoder)
        try:
            super().__init__(image_encoder, text_encoder, **kwargs)
        except ValueError as err:
            if 'joint space' in str(err) and text_encoder.get('type') == 'TextAlignTower':
                raise ValueError(f'{err}: set projection_dim of the text_align encoder (model.text_encoder) to the '
                                 f'image width') from err
            raise
        self.text_align = isinstance(self.text_encoder, TextAlignTower)
        weights = {**dict(cls=1.0, con=1.0), **(loss_weights or {})}
        unknown = set(weights) - {'cls', 'con'}
        if unknown or min(weights.values()) < 0 or max(weights.values()) <= 0:
            raise ValueError(f'MOFIPretrainer: loss_weights takes non-negative "cls" and "con" with at least one '
                             f'> 0, got {loss_weights}')
        self.loss_weights = weights
        dim = self.image_encoder.output_shape()[-2].channels
        self.entity_head = ShardedClassifier(num_entities, dim, **(classifier or {})) if weights['cls'] > 0 else None
        if self.entity_head is not None and rank_and_world_size()[1] > 1:
            # the shards differ between processes: DDP must neither broadcast nor average them
            self._ddp_params_and_buffers_to_ignore = [f'entity_head.{n}' for n in self.entity_head.ddp_ignored_names]

    def encode_text(self, texts: Union[Sequence[str], torch.Tensor]) -> torch.Tensor:
        """Texts (or CLIP token ids for the CLIP tower) -> (N, D) text embeddings (not normalised by us)."""
        if self.text_align:
            return self.text_encoder(texts)
        return super().encode_text(texts)

    def _caption_tokens(self, samples: Sequence[BaseDataElement]) -> Union[torch.Tensor, List[str]]:
        """CLIP tower: (B, L) tokens of each sample's entity text; ``text_align`` encoder: the texts."""
        if not self.text_align:
            return super()._caption_tokens(samples)
        if not all(isinstance(s.get('caption'), str) for s in samples):
            raise KeyError('MOFIPretrainer: the text_align encoder needs each sample\'s "caption" string (put '
                           'SampleEntityText in the training pipeline)')
        return [s.caption for s in samples]

    def loss(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """Weighted classification and contrastive losses of a batch.

        Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: with ``entity_labels`` (classification) and ``text_tokens``/``caption`` (contrastive).

        Returns:
            ``loss_cls`` and/or ``loss_con`` (already weighted), and ``logit_scale`` with the contrastive head.
        """
        image_embed = self.encode_image(inputs)
        losses = {}
        if self.entity_head is not None:
            labels = pad_entity_labels(data_samples, image_embed.device)
            losses['loss_cls'] = self.loss_weights['cls'] * self.entity_head(image_embed, labels)
        if self.loss_weights['con'] > 0:
            text_embed = self.encode_text(self._caption_tokens(data_samples))
            scale = self._scale()
            losses['loss_con'] = self.loss_weights['con'] * symmetric_infonce(image_embed, text_embed, scale)
            losses['logit_scale'] = scale.detach()
        return losses

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """``loss``: :meth:`loss`; ``predict`` and ``tensor``: as :class:`CLIPPretrainer` (normalised image
        embeddings, zero-shot scores against ``class_names``)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)
