"""A ``text_align`` sentence encoder as the text tower of MOFI's contrastive head: it takes the entity texts as
strings (its own tokenizer) instead of CLIP BPE tokens."""
from typing import Sequence

import torch
from mmengine.model import BaseModule

from ..registry import MODELS


def is_text_align_config(cfg: dict) -> bool:
    """True for a ``text_align`` encoder config (``type='text_align.<Name>'``, or a class of that package)."""
    kind = cfg.get('type') if isinstance(cfg, dict) else None
    if isinstance(kind, str):
        return kind.startswith('text_align.')
    return isinstance(kind, type) and kind.__module__.startswith('text_align.')


@MODELS.register_module()
class TextAlignTower(BaseModule):
    """Wraps a ``text_align`` encoder (``TextEncoder``: transformer -> pooling -> [projection] -> [L2]) with the
    attributes :class:`~dense_align.imagetext.clip_pretrainer.CLIPPretrainer` reads from a text tower.

    Args:
        encoder: the ``text_align`` encoder config, e.g. ``dict(type='text_align.TextEncoder', model_path=...,
            projection_dim=<image embedding width>)``; anything with ``embedding_dim``, ``max_length`` and
            ``embed(texts)``.

    Attributes:
        output_dim: width of the text embeddings (the encoder's ``embedding_dim``).
        context_length: the encoder's ``max_length`` (tokens).
    """

    def __init__(self, encoder: dict) -> None:
        super().__init__()
        self.encoder = MODELS.build(encoder)
        missing = [a for a in ('embedding_dim', 'max_length', 'embed') if not hasattr(self.encoder, a)]
        if missing:
            raise TypeError(f'TextAlignTower: {type(self.encoder).__name__} lacks {missing}; use a text_align '
                            f'TextEncoder')
        self.output_dim = int(self.encoder.embedding_dim)
        self.context_length = int(self.encoder.max_length)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """Args:
            texts: entity texts (or class prompts) as strings.

        Returns:
            (N, output_dim) embeddings, with the autograd graph.
        """
        if isinstance(texts, torch.Tensor):
            raise TypeError('TextAlignTower: got token ids, but a text_align encoder takes the texts themselves; '
                            'keep the "caption"/"captions" strings (no TokenizeCaption needed)')
        return self.encoder.embed(list(texts))
