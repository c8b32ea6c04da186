"""Building blocks of the CLIP encoders, one primitive per file."""
from .attention import SelfAttention
from .attention_pool import DenseAttentionPool2d
from .bottleneck import AntiAliasBottleneck
from .conv_bn import can_fold, conv_bn, fold_conv_bn
from .linear_init import trunc_normal_linears
from .fused_linear import fused_linear
from .mlp import QuickGELUActivation, build_activation, clip_mlp, clip_mlp_fast
from .pos_embed import resize_pos_embed
from .residual_block import LayerScale, ResidualAttentionBlock
from .simple_pyramid import SimpleFeaturePyramid
from .transformer import Transformer
from .windows import window_merge, window_padding_mask, window_partition

__all__ = ['trunc_normal_linears', 'AntiAliasBottleneck', 'can_fold', 'conv_bn', 'fold_conv_bn', 'fused_linear', 'clip_mlp_fast', 'SelfAttention', 'DenseAttentionPool2d', 'QuickGELUActivation', 'build_activation', 'clip_mlp',
           'resize_pos_embed', 'LayerScale', 'ResidualAttentionBlock', 'SimpleFeaturePyramid', 'Transformer', 'window_merge',
           'window_padding_mask', 'window_partition']
