"""Stacks and normalises samples of several RGB images each (views of one image, frames of clips) for the
self-supervised and video models."""
from typing import Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(BaseDataPreprocessor):
    """``inputs``: N uint8 tensors (*views, 3, H, W) in RGB -> one float tensor (N, *views, 3, H, W), normalised.

    Args:
        mean: per-channel mean (RGB, 0-255 scale).
        std: per-channel standard deviation.
        view_dims: dimensions before the channels in each sample: 1 for (V, 3, H, W) views (PixPro), 2 for
            (V, T, 3, H, W) clips (X-CLIP).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), view_dims: int = 1) -> None:
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)
        self.view_dims = view_dims

    def forward(self, data: dict, training: bool = False) -> dict:
        """Args:
            data: ``dict(inputs=[(*views, 3, H, W)] * N, data_samples=[...])`` from ``pseudo_collate``.
            training: unused here; subclasses may augment the batch in training.

        Returns:
            ``dict(inputs=(N, *views, 3, H, W) float, data_samples=...)`` on the model's device.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        layout = f'({", ".join(["N"] + ["V", "T"][:self.view_dims])}, 3, H, W)'
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(f'{type(self).__name__}: all samples of a batch need the same shape; got {shapes}')
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 4 + self.view_dims or inputs.shape[-3] != 3:
            raise ValueError(f'{type(self).__name__}: expected {layout} inputs, got {tuple(inputs.shape)}')
        if inputs.is_floating_point() and inputs.numel() and inputs.min() >= 0 and inputs.max() <= 1:
            raise ValueError(f'{type(self).__name__}: inputs are floats in [0, 1], but mean/std are on the 0-255 '
                             'scale: pass uint8 images (0-255) as the pipeline gives them')
        inputs = (inputs.float() - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
