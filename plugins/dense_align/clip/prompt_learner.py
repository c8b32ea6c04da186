"""CoOp-style prompts: learnable context vectors before each class name, encoded by the CLIP text tower."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from ..registration import register_model
from .tokenizer import ClipBPETokenizer

#: Positions of OpenAI CLIP's text transformer.
MAX_CONTEXT_LENGTH = 77


@register_model(into=())
class ContextPromptLearner(BaseModule):
    """Builds ``[SOT] ctx_1 .. ctx_n <class name> [EOT]`` for every class and encodes it with a CLIP text encoder.

    Unlike the original DenseCLIP code, class names are not limited to 3 tokens: the prompt length follows the
    longest name, and a name that cannot fit in 77 positions is an error naming it.

    Args:
        class_names: one name per class (e.g. a dataset's ``metainfo['classes']``).
        num_context: number of learnable context vectors.
        embed_dim: width of the text encoder's token embeddings.
        context_length: prompt length; default: just long enough for the longest name.
        tokenizer: BPE tokenizer; default :class:`ClipBPETokenizer`.
        init_std: the context vectors start from a normal with this std truncated to +-2 std (DenseCLIP:
            ``trunc_normal_`` with its defaults, std 1).
        init_cfg: mmengine init config.
    """

    def __init__(self, class_names: Sequence[str], num_context: int = 8, embed_dim: int = 512,
                 context_length: Optional[int] = None, tokenizer: Optional[ClipBPETokenizer] = None,
                 init_std: float = 1.0, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not class_names:
            raise ValueError('ContextPromptLearner: class_names is empty')
        tokenizer = tokenizer or ClipBPETokenizer()
        self.class_names: List[str] = list(class_names)
        name_ids = [tokenizer.encode(name) for name in self.class_names]
        needed = [1 + num_context + len(ids) + 1 for ids in name_ids]
        limit = context_length or MAX_CONTEXT_LENGTH
        too_long = [(name, n) for name, n in zip(self.class_names, needed) if n > limit]
        if too_long:
            name, n = max(too_long, key=lambda item: item[1])
            raise ValueError(f'class name {name!r} needs {n - 2 - num_context} tokens; with {num_context} context '
                             f'tokens, SOT and EOT its prompt has {n} positions, more than the context length {limit}')
        self.context_length = context_length or max(needed)
        self.num_context = num_context
        tokens = torch.zeros(len(name_ids), self.context_length, dtype=torch.long)
        for row, ids in enumerate(name_ids):
            seq = [tokenizer.sot_token_id] + [0] * num_context + ids + [tokenizer.eot_token_id]
            tokens[row, :len(seq)] = torch.tensor(seq)
        self.register_buffer('tokens', tokens, persistent=False)
        self.register_buffer('eot_index', torch.tensor([len(ids) + num_context + 1 for ids in name_ids]),
                             persistent=False)
        self.context = nn.Parameter(torch.empty(num_context, embed_dim))
        nn.init.trunc_normal_(self.context, std=init_std, a=-2 * init_std, b=2 * init_std)

    def forward(self, text_encoder: nn.Module, context: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode the prompts of all classes.

        Args:
            text_encoder: a :class:`CLIPTextTransformer` (``token_embedding`` + ``encode_embeddings``) whose context
                length is at least ``self.context_length``.
            context: optional per-image context vectors (B, num_context, embed_dim) replacing the learned ones
                (pre-model prompting); every class of every image is then encoded.

        Returns:
            Class text embeddings (K, D), or (B, K, D) with ``context``; not normalised.
        """
        embeddings = text_encoder.token_embedding(self.tokens)  # K, L, C
        k = embeddings.shape[0]
        if context is None:
            ctx, eot = self.context.to(embeddings.dtype).expand(k, -1, -1), self.eot_index
        else:
            b = context.shape[0]
            ctx = context.to(embeddings.dtype)[:, None].expand(-1, k, -1, -1).flatten(0, 1)  # B*K, n, C
            embeddings, eot = embeddings.repeat(b, 1, 1), self.eot_index.repeat(b)
        embeddings = torch.cat([embeddings[:, :1], ctx, embeddings[:, 1 + self.num_context:]], dim=1)
        out = text_encoder.encode_embeddings(embeddings, eot)
        return out if context is None else out.view(context.shape[0], k, -1)
