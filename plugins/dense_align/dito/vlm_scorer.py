"""The frozen CLIP ViT's region scores used by DITO's test-time fusion: RoIAlign on its top map (in the joint space)
with boxes shrunk about their centres, average pooling, cosine with the class embeddings over a temperature."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.ops import roi_align
from mmengine.model import BaseModule

from ..registry import MODELS


def scale_rois(rois: torch.Tensor, factor: float) -> torch.Tensor:
    """Scale (N, 5) rois ``(index, x1, y1, x2, y2)`` about their centres by ``factor`` (released: 0.7)."""
    centre = (rois[:, 1:3] + rois[:, 3:5]) / 2
    half = (rois[:, 3:5] - rois[:, 1:3]) * (factor / 2)
    return torch.cat([rois[:, :1], centre - half, centre + half], dim=1)


class FrozenVLMScorer(BaseModule):
    """A frozen ``CLIPViT`` (``with_embeddings=True``) whose ``dense_embed`` map scores boxes.

    Args:
        backbone: the ``CLIPViT`` config (released: windows in every block but the last); frozen here.
        roi_size: RoIAlign output side (released: 14).
        box_scale: boxes scaled about their centres before pooling (released: 0.7).
        temperature: logits are cosine / temperature (released ``clip_sim_temp``: 0.01).
        sampling_ratio: RoIAlign samples per bin side (0: adaptive). The released ``multilevel_crop_and_resize``
            takes one bilinear sample at each bin centre: 1 with ``aligned=False``.
        aligned: RoIAlign's half-pixel shift (``False`` as released, where feature pixel j sits at j).
    """

    def __init__(self, backbone: dict, roi_size: int = 14, box_scale: float = 0.7, temperature: float = 0.01,
                 sampling_ratio: int = 0, aligned: bool = True) -> None:
        super().__init__()  # a BaseModule, so that the detector's init_weights reaches the ViT's init_cfg
        backbone = dict(backbone, with_embeddings=True)
        self.backbone = MODELS.build(backbone)
        self.backbone.requires_grad_(False)
        self.roi_size = roi_size
        self.box_scale = box_scale
        self.temperature = temperature
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def train(self, mode: bool = True) -> 'FrozenVLMScorer':
        """Stays in eval mode."""
        return super().train(False)

    @torch.no_grad()
    def top_map(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, D, H/p, W/p) patch embeddings in the joint space."""
        return self.backbone(images)[-1]

    @torch.no_grad()
    def region_logits(self, top_map: torch.Tensor, rois: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Args:
            top_map: (B, D, h, w) from :meth:`top_map`.
            rois: (N, 5) rois in input pixels.
            text: (K + 1, D) class embeddings, background last.

        Returns:
            (N, K + 1) cosine / temperature logits.
        """
        stride = self.backbone.patch_size
        # contiguous for any backbone: mmcv's roi_align assumes contiguous NCHW storage (free when already so)
        pooled = roi_align(top_map.contiguous(), scale_rois(rois, self.box_scale), self.roi_size, 1.0 / stride,
                           self.sampling_ratio, 'avg', self.aligned)
        region = pooled.mean(dim=(2, 3))
        return F.normalize(region, dim=-1) @ F.normalize(text.to(region.dtype), dim=-1).t() / self.temperature
