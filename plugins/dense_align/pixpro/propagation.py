"""PixPro's pixel-propagation module: each pixel becomes a similarity-weighted sum of transformed pixels."""
import torch
import torch.nn.functional as F
from torch import nn


class PixelPropagation(nn.Module):
    """``y_i = sum_j max(cos(x_i, x_j), 0) ** gamma * g(x_j)``, no softmax, then L2-normalised over channels.

    The all-pairs similarity is one batched matrix product (O(HW^2) memory per image, no Python loop). For
    ``gamma < 1`` the clamped similarity gets ``+ 1e-6`` before the power, as the reference ``featprop`` does: the
    derivative of ``s ** gamma`` is infinite at ``s = 0`` and would turn the clamp's zero gradient into NaN.

    Args:
        channels: feature channels.
        transform_layers: layers of ``g``: 0 identity, 1 a 1x1 conv (the released default), 2 conv-BN-ReLU-conv.
        gamma: sharpness exponent (paper: 2), > 0.
    """

    def __init__(self, channels: int = 256, transform_layers: int = 1, gamma: float = 2.0) -> None:
        super().__init__()
        if transform_layers == 0:
            self.transform = nn.Identity()
        elif transform_layers == 1:
            self.transform = nn.Conv2d(channels, channels, 1)
        elif transform_layers == 2:
            self.transform = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels),
                                           nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 1))
        else:
            raise ValueError(f'PixelPropagation: transform_layers must be 0, 1 or 2, got {transform_layers}')
        if not gamma > 0:
            raise ValueError(f'PixelPropagation: gamma must be > 0, got {gamma}')
        self.gamma = gamma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: (N, C, H, W) projected features.

        Returns:
            (N, C, H, W) propagated features, L2-normalised over C.
        """
        n, c, h, w = x.shape
        unit = F.normalize(x.flatten(2), dim=1)  # N, C, HW
        similarity = torch.bmm(unit.transpose(1, 2), unit).clamp(min=0)  # N, HW(i), HW(j)
        if self.gamma < 1:
            similarity = similarity + 1e-6
        similarity = similarity.pow(self.gamma)
        values = F.normalize(self.transform(x), dim=1).flatten(2)  # N, C, HW(j)
        propagated = torch.bmm(values, similarity.transpose(1, 2))  # N, C, HW(i)
        return F.normalize(propagated, dim=1).view(n, c, h, w)
