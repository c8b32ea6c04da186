"""Stacks and normalises multi-view samples (N samples of V views) for the self-supervised models."""
from typing import Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(BaseDataPreprocessor):
    """``inputs``: N uint8 tensors (V, 3, H, W) in RGB -> one float tensor (N, V, 3, H, W), normalised.

    Args:
        mean: per-channel mean (RGB, 0-255 scale).
        std: per-channel standard deviation.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)) -> None:
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 1, -1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 1, -1, 1, 1), False)

    def forward(self, data: dict, training: bool = False) -> Union[dict, list]:
        """Args:
            data: ``dict(inputs=[(V, 3, H, W)] * N, data_samples=[...])`` from ``pseudo_collate``.
            training: unused; the same normalisation applies in every mode.

        Returns:
            ``dict(inputs=(N, V, 3, H, W) float, data_samples=...)`` on the model's device.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(f'MultiViewDataPreprocessor: all samples need the same (V, 3, H, W); got {shapes}')
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 5 or inputs.shape[2] != 3:
            raise ValueError(f'MultiViewDataPreprocessor: expected (N, V, 3, H, W) inputs, got {tuple(inputs.shape)}')
        inputs = (inputs.float() - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
