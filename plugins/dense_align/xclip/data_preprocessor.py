"""Stacks, normalises and (in training) mixes video clips for X-CLIP."""
from typing import Optional, Sequence

import torch

from ..engine import MultiViewDataPreprocessor
from ..registry import MODELS
from .blending import MixupCutmix


@MODELS.register_module()
class VideoDataPreprocessor(MultiViewDataPreprocessor):
    """``inputs``: B uint8 tensors (V, T, 3, H, W) in RGB -> (B, V, T, 3, H, W) float, normalised; in training,
    with ``blending``, Mixup/CutMix and soft targets (``gt_score`` on each data sample).

    Args:
        mean: RGB mean (X-CLIP uses ImageNet's, 0-255 scale).
        std: RGB std.
        blending: ``MixupCutmix`` arguments (``num_classes``, ``mixup_alpha``, ...); None disables it.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), blending: Optional[dict] = None) -> None:
        super().__init__(mean, std, view_dims=2)
        self.blending = MixupCutmix(**blending) if blending else None

    def forward(self, data: dict, training: bool = False) -> dict:
        """Args:
            data: ``dict(inputs=[(V, T, 3, H, W)] * B, data_samples=[...])``.
            training: apply blending (single-view training batches only).

        Returns:
            ``dict(inputs=(B, V, T, 3, H, W), data_samples=...)``.
        """
        data = super().forward(data, training)
        inputs, samples = data['inputs'], data['data_samples']
        if training and self.blending is not None and samples:
            labels = torch.stack([s.gt_label for s in samples]).to(inputs.device)
            mixed, targets = self.blending(inputs.flatten(1, 2), labels)
            inputs = mixed.view_as(inputs)
            for sample, target in zip(samples, targets):
                sample.gt_score = target
        return dict(inputs=inputs, data_samples=samples)
