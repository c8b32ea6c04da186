"""The released DITO region proposal head (google-research fvlm ``modeling/heads.py`` ``RpnHead`` with the DITO gin:
``num_convs=2``, ``use_batch_norm=False``, one anchor per location): shared 3x3 convs, each followed by a LayerNorm
of its own per level and ReLU, then a 1-channel score (trained on centerness) and l/r/t/b box distances."""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from torch import nn

from ..registration import register_model
from .channel_norm import ChannelLayerNorm
from . import lrtb_coder  # noqa: F401  (registers LRTBBoxCoder)


@register_model(into=('mmdet', ))
class DITOCenternessRPNHead(RPNHead):
    """mmdet ``RPNHead`` with the released DITO layout; proposals come from mmdet's ``predict_by_feat`` (sigmoid score,
    per-level top ``nms_pre``, per-level NMS, ``max_per_img``), which matches the released
    ``multilevel_propose_rois`` (per-level top-k and NMS, overall top-k; the released test NMS threshold is 1.0).

    Boxes are decoded by :class:`LRTBBoxCoder` around square anchors of side ``8 * stride`` centred at
    ``(i + 0.5) * stride`` (released ``ANCHOR_SIZE = 8``, aspect ratio 1). ``rpn_reg`` channels are (l, r, t, b).
    Training runs mmdet's anchor RPN loss with these layers and this coder; the released training targets
    (centerness score, IoU box loss) are not implemented, so training is not the released recipe.

    Args:
        in_channels: pyramid width.
        num_levels: number of pyramid levels (one LayerNorm set per level; released 4).
        num_convs: shared 3x3 convs (released 2).
        norm_eps: LayerNorm epsilon (Flax default 1e-6).
        **kwargs: ``RPNHead`` / ``AnchorHead`` arguments.
    """

    def __init__(self, in_channels: int, num_levels: int = 4, num_convs: int = 2, norm_eps: float = 1e-6,
                 **kwargs) -> None:
        self.num_levels = num_levels
        self.norm_eps = norm_eps
        kwargs.setdefault('anchor_generator', dict(type='AnchorGenerator', scales=[8], ratios=[1.0],
                                                   strides=[4, 8, 16, 32], center_offset=0.5))
        kwargs.setdefault('bbox_coder', dict(type='LRTBBoxCoder'))
        super().__init__(in_channels, num_convs=num_convs, **kwargs)

    def _init_layers(self) -> None:
        self.rpn_convs = nn.ModuleList(
            nn.Conv2d(self.in_channels if i == 0 else self.feat_channels, self.feat_channels, 3, padding=1)
            for i in range(self.num_convs))
        self.rpn_norms = nn.ModuleList(
            nn.ModuleList(ChannelLayerNorm(self.feat_channels, self.norm_eps) for _ in range(self.num_convs))
            for _ in range(self.num_levels))
        self.rpn_cls = nn.Conv2d(self.feat_channels, self.num_base_priors * self.cls_out_channels, 1)
        self.rpn_reg = nn.Conv2d(self.feat_channels, self.num_base_priors * self.bbox_coder.encode_size, 1)

    def forward(self, x: Tuple[torch.Tensor, ...]) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            x: one (N, C, H, W) map per level, finest first.

        Returns:
            (scores per level (N, 1, H, W), l/r/t/b per level (N, 4, H, W)).
        """
        if len(x) != self.num_levels:
            raise ValueError(f'DITOCenternessRPNHead: got {len(x)} levels, built for num_levels={self.num_levels}')
        scores, boxes = [], []
        for level, feat in enumerate(x):
            for conv, norm in zip(self.rpn_convs, self.rpn_norms[level]):
                feat = F.relu(norm(conv(feat)))
            scores.append(self.rpn_cls(feat))
            boxes.append(self.rpn_reg(feat))
        return scores, boxes

    def forward_single(self, x: torch.Tensor):  # pragma: no cover - the per-level norms need the level index
        raise NotImplementedError('DITOCenternessRPNHead runs all levels in forward()')
