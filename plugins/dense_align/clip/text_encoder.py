"""CLIP's text transformer (keys ``token_embedding``, ``positional_embedding``, ``transformer``, ``ln_final``,
``text_projection``), with an entry point for learned prompt embeddings."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from ..registration import register_model
from .arch import resolve_arch
from .pretrained_init import ClipPretrainedInitMixin
from .layers import Transformer

#: Text towers of the OpenAI CLIP models (width, depth, heads, joint-space width).
CLIP_TEXT_ARCHS: Dict[str, dict] = {
    'RN50': dict(width=512, layers=12, heads=8, output_dim=1024),
    'RN101': dict(width=512, layers=12, heads=8, output_dim=512),
    'RN50x4': dict(width=640, layers=12, heads=10, output_dim=640),
    'RN50x16': dict(width=768, layers=12, heads=12, output_dim=768),
    'RN50x64': dict(width=1024, layers=12, heads=16, output_dim=1024),
    'ViT-B/32': dict(width=512, layers=12, heads=8, output_dim=512),
    'ViT-B/16': dict(width=512, layers=12, heads=8, output_dim=512),
    'ViT-L/14': dict(width=768, layers=12, heads=12, output_dim=768),
    'ViT-L/14@336': dict(width=768, layers=12, heads=12, output_dim=768),
    # test-sized variant
    'tiny': dict(width=32, layers=2, heads=2, output_dim=32),
}


@register_model()
class CLIPTextTransformer(ClipPretrainedInitMixin, BaseModule):
    """The CLIP text encoder: causal transformer, embedding taken at the EOT token (the largest id), projected.

    (mmseg already registers a ``CLIPTextEncoder``; this is ours.)

    Args:
        arch: a name in :data:`CLIP_TEXT_ARCHS` or a dict with ``width``, ``layers``, ``heads``, ``output_dim``.
        context_length: longest token sequence; OpenAI weights have 77 positions and load into shorter contexts.
        vocab_size: BPE vocabulary size.
        act: MLP activation, ``'quick_gelu'`` (OpenAI weights) or ``'gelu'``.
        with_cp: activation checkpointing during training.
        init_cfg: mmengine init config.
    """

    def __init__(self, arch: Union[str, dict] = 'RN50', context_length: int = 77, vocab_size: int = 49408,
                 act: str = 'quick_gelu', with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        arch = self.arch = resolve_arch(arch, CLIP_TEXT_ARCHS, 'CLIPTextTransformer')
        width = arch['width']
        self.context_length = context_length
        self.width = width
        self.output_dim = arch['output_dim']
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = Transformer(width, arch['layers'], arch['heads'], act=act, with_cp=with_cp)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, arch['output_dim']))
        self._clip_init()

    def _clip_init(self) -> None:
        """CLIP's initialisation of the embeddings, blocks and projection."""
        width, layers = self.width, len(self.transformer.resblocks)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        proj_std, attn_std, fc_std = (width**-0.5) * ((2 * layers)**-0.5), width**-0.5, (2 * width)**-0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=width**-0.5)

    def encode_embeddings(self, embeddings: torch.Tensor, eot_index: torch.Tensor) -> torch.Tensor:
        """Encode token embeddings (e.g. with learned context vectors spliced in).

        Attention is causal, so no position after a sequence's EOT token changes its EOT state: the transformer
        runs on the first ``max(eot_index) + 1`` positions only (for short class prompts a few of the 77), which
        gives the same embeddings within float rounding.

        Args:
            embeddings: (N, L, width) token embeddings, L <= ``context_length``.
            eot_index: (N,) position of the EOT token in each sequence.

        Returns:
            Text embeddings (N, output_dim), not normalised.
        """
        length = embeddings.shape[1]
        if length > self.context_length:
            raise ValueError(f'CLIPTextTransformer: {length} tokens exceed the context length {self.context_length}')
        if eot_index.numel():
            length = int(eot_index.max()) + 1  # positions after the last EOT cannot reach any EOT state
            embeddings = embeddings[:, :length]
        x = embeddings + self.positional_embedding[:length].to(embeddings.dtype)
        x = self.ln_final(self.transformer(x, is_causal=True))
        return x[torch.arange(x.shape[0], device=x.device), eot_index] @ self.text_projection

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Args:
            tokens: (N, L) token ids from :class:`ClipBPETokenizer`.

        Returns:
            Text embeddings (N, output_dim), not normalised.
        """
        return self.encode_embeddings(self.token_embedding(tokens), tokens.argmax(dim=-1))
