"""Building blocks of the CLIP encoders, one primitive per file."""
from .attention import SelfAttention
from .attention_pool import DenseAttentionPool2d
from .bottleneck import AntiAliasBottleneck
from .linear_init import trunc_normal_linears
from .mlp import QuickGELUActivation, build_activation, clip_mlp
from .pos_embed import resize_pos_embed
from .residual_block import LayerScale, ResidualAttentionBlock
from .simple_pyramid import SimpleFeaturePyramid
from .transformer import Transformer
from .windows import window_merge, window_padding_mask, window_partition

__all__ = ['trunc_normal_linears', 'AntiAliasBottleneck', 'SelfAttention', 'DenseAttentionPool2d', 'QuickGELUActivation', 'build_activation', 'clip_mlp',
           'resize_pos_embed', 'LayerScale', 'ResidualAttentionBlock', 'SimpleFeaturePyramid', 'Transformer', 'window_merge',
           'window_padding_mask', 'window_partition']
