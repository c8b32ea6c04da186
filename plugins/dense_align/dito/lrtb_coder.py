"""The released DITO RPN's box encoding (google-research fvlm ``utils/box_utils.py`` ``decode_boxes_lrtb``): the
distances from the anchor centre to the left/right/top/bottom box sides, in units of the anchor's width/height."""
from typing import Optional, Sequence

import torch
from mmdet.models.task_modules.coders import BaseBBoxCoder
from mmdet.registry import TASK_UTILS


@TASK_UTILS.register_module()
class LRTBBoxCoder(BaseBBoxCoder):
    """(left, right, top, bottom) / anchor size  <->  (x1, y1, x2, y2) boxes.

    ``decode``: ``x1 = cx - l * w_a``, ``x2 = cx + r * w_a``, ``y1 = cy - t * h_a``, ``y2 = cy + b * h_a`` with the
    anchor's centre (cx, cy) and size (w_a, h_a); boxes are clipped to ``max_shape`` (released: the resized image,
    before padding).
    """

    encode_size = 4

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)

    @staticmethod
    def _anchor_geometry(anchors: torch.Tensor):
        size = anchors[..., 2:] - anchors[..., :2]
        return anchors[..., :2] + 0.5 * size, size

    def encode(self, bboxes: torch.Tensor, gt_bboxes: torch.Tensor) -> torch.Tensor:
        """Args:
            bboxes: (N, 4) anchors (x1, y1, x2, y2).
            gt_bboxes: (N, 4) target boxes.

        Returns:
            (N, 4) (l, r, t, b) targets.
        """
        bboxes, gt_bboxes = torch.as_tensor(bboxes), torch.as_tensor(gt_bboxes)
        centre, size = self._anchor_geometry(bboxes)
        lt = (centre - gt_bboxes[..., :2]) / size  # (l, t)
        rb = (gt_bboxes[..., 2:] - centre) / size  # (r, b)
        return torch.stack([lt[..., 0], rb[..., 0], lt[..., 1], rb[..., 1]], dim=-1)

    def decode(self, bboxes: torch.Tensor, pred_bboxes: torch.Tensor,
               max_shape: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Args:
            bboxes: (..., 4) anchors (x1, y1, x2, y2).
            pred_bboxes: (..., 4) (l, r, t, b) predictions.
            max_shape: (h, w) to clip to; None leaves the boxes unclipped.

        Returns:
            (..., 4) boxes (x1, y1, x2, y2).
        """
        bboxes = torch.as_tensor(bboxes)
        centre, size = self._anchor_geometry(bboxes)
        l, r, t, b = pred_bboxes.unbind(-1)
        boxes = torch.stack([centre[..., 0] - l * size[..., 0], centre[..., 1] - t * size[..., 1],
                             centre[..., 0] + r * size[..., 0], centre[..., 1] + b * size[..., 1]], dim=-1)
        if max_shape is not None:
            h, w = max_shape[:2]
            boxes = torch.stack([boxes[..., 0].clamp(0, w), boxes[..., 1].clamp(0, h), boxes[..., 2].clamp(0, w),
                                 boxes[..., 3].clamp(0, h)], dim=-1)
        return boxes
