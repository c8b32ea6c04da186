"""DenseCLIP with any backbone: an mmdet/mmseg backbone plus a freshly initialised CLIP attention pool."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.registry import MODELS

from ..clip.layers import DenseAttentionPool2d
from ..clip.pretrained_init import pretrained_to_init_cfg
from ..registration import register_model
from ..shape_spec import ShapeSpec


@register_model()
class BackboneWithAttentionPool(BaseModule):
    """Wraps a backbone (e.g. an ImageNet ResNet) and adds CLIP's attention pool on its last map, applied at every
    position, as the paper's "any backbone" experiments do; the pool starts from scratch.

    Output contract: the wrapped backbone's maps (``res2..``, channels/strides as given), then ``global_embed`` (B, D)
    and ``dense_embed`` (B, D, H/s, W/s) with ``s`` the last stride.

    Args:
        backbone: config of the wrapped backbone (built in the current default scope).
        in_channels: channels of each map the backbone returns.
        strides: stride of each map.
        embed_dim: width of the joint space (must equal the text encoder's ``output_dim``).
        num_heads: attention heads of the pool.
        grid: side of the pool's positional-embedding grid (resized to every input).
        init_cfg: mmengine init config.
        pretrained: deprecated, as in mmseg/mmdet backbones: a path becomes a ``Pretrained`` ``init_cfg``.
    """

    def __init__(self, backbone: dict, in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 strides: Sequence[int] = (4, 8, 16, 32), embed_dim: int = 1024, num_heads: int = 32, grid: int = 16,
                 init_cfg: Optional[dict] = None, pretrained: Optional[str] = None) -> None:
        super().__init__(init_cfg=pretrained_to_init_cfg(pretrained, init_cfg, type(self).__name__))
        if len(in_channels) != len(strides):
            raise ValueError(f'in_channels {tuple(in_channels)} and strides {tuple(strides)} differ in length')
        self.backbone = MODELS.build(backbone)
        self.in_channels, self.strides = tuple(in_channels), tuple(strides)
        self.attnpool = DenseAttentionPool2d(grid, in_channels[-1], num_heads, embed_dim)
        self.attnpool.clip_init()

    def output_shape(self) -> List[ShapeSpec]:
        """The outputs of :meth:`forward`, in order."""
        maps = [ShapeSpec(f'res{i + 2}', c, s) for i, (c, s) in enumerate(zip(self.in_channels, self.strides))]
        dim = self.attnpool.output_dim
        return maps + [ShapeSpec('global_embed', dim, None), ShapeSpec('dense_embed', dim, self.strides[-1])]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Args:
            x: images (B, 3, H, W).

        Returns:
            The tensors described by :meth:`output_shape`.
        """
        maps = tuple(self.backbone(x))
        if len(maps) != len(self.in_channels):
            raise ValueError(f'the wrapped backbone returned {len(maps)} maps, in_channels lists {len(self.in_channels)}')
        global_embed, dense_embed = self.attnpool(maps[-1], dense=True)
        return maps + (global_embed, dense_embed)
