"""Class text embeddings conditioned on the image: DenseCLIP's post-model and pre-model context-aware prompting."""
from typing import Optional, Sequence

import torch
from torch import nn

from ..clip import ContextPromptLearner, TextEmbeddingCache
from ..registry import MODELS


class ContextAwarePrompting(nn.Module):
    """Produces per-image class text embeddings (B, K, D) from learnable prompts and the visual context.

    ``post`` (the paper's default): the K prompt embeddings are computed once (cached at inference), then refined per
    image by a context decoder attending to [global, dense] visual tokens and added back with ``gamma`` (init 1e-4).
    ``pre``: the context vectors themselves are generated per image by a decoder over the visual tokens before the
    text encoder runs (B x K prompts per forward). ``none``: plain learned prompts, no visual context.

    Args:
        text_encoder: a built CLIPTextTransformer.
        class_names: the class list.
        mode: ``'post'``, ``'pre'`` or ``'none'``.
        context_decoder: config of the ContextDecoder (its ``query_dim``/``memory_dim`` are filled in).
        num_context: learnable context vectors.
        gamma_init: initial value of the post-model scale.
    """

    def __init__(self, text_encoder: nn.Module, class_names: Sequence[str], mode: str = 'post',
                 context_decoder: Optional[dict] = None, num_context: int = 8, gamma_init: float = 1e-4) -> None:
        super().__init__()
        if mode not in ('post', 'pre', 'none'):
            raise ValueError(f"prompting mode must be 'post', 'pre' or 'none', got {mode!r}")
        self.mode = mode
        self.class_names = list(class_names)
        self.prompt_learner = ContextPromptLearner(class_names, num_context, text_encoder.width)
        if self.prompt_learner.context_length > text_encoder.context_length:
            raise ValueError(f'prompts need {self.prompt_learner.context_length} positions (longest class name + '
                             f'{num_context} context tokens + SOT/EOT) but the text encoder has context_length '
                             f'{text_encoder.context_length}; raise text_encoder.context_length')
        dim = text_encoder.output_dim
        self.context_decoder = None
        if mode != 'none':
            cfg = dict(type='ContextDecoder', **(context_decoder or {}))
            cfg.update(query_dim=dim if mode == 'post' else text_encoder.width, memory_dim=dim)
            self.context_decoder = MODELS.build(cfg)
        self.gamma = nn.Parameter(torch.full((dim, ), gamma_init)) if mode == 'post' else None
        self._cache = TextEmbeddingCache()

    def class_embeddings(self, text_encoder: nn.Module) -> torch.Tensor:
        """(K, D) prompt embeddings without visual context; cached at inference until any weight changes."""
        return self._cache.get([text_encoder, self.prompt_learner], self.class_names,
                               lambda: self.prompt_learner(text_encoder))

    def forward(self, text_encoder: nn.Module, global_embed: torch.Tensor, dense_embed: torch.Tensor) -> torch.Tensor:
        """Args:
            text_encoder: the CLIPTextTransformer.
            global_embed: (B, D) image embeddings.
            dense_embed: (B, D, h, w) dense embeddings.

        Returns:
            (B, K, D) class text embeddings for each image.
        """
        b = global_embed.shape[0]
        visual = torch.cat([global_embed[:, None], dense_embed.flatten(2).transpose(1, 2)], dim=1)
        if self.mode == 'pre':
            queries = self.prompt_learner.context[None].expand(b, -1, -1)
            context = queries + self.context_decoder(queries, visual)
            return self.prompt_learner(text_encoder, context)
        text = self.class_embeddings(text_encoder)[None].expand(b, -1, -1)
        if self.mode == 'post':
            text = text + self.gamma * self.context_decoder(text, visual)
        return text
