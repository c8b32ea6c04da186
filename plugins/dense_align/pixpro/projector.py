"""The per-pixel 2-layer projector of PixPro / BYOL on feature maps: 1x1 conv - BN - ReLU - 1x1 conv."""
from torch import nn


def pixel_mlp(in_channels: int, hidden_channels: int = 4096, out_channels: int = 256) -> nn.Sequential:
    """Args:
        in_channels: input channels (2048 for a ResNet-50 C5).
        hidden_channels: hidden width (4096 in the paper).
        out_channels: output channels (256).

    Returns:
        ``Sequential(conv1x1, BN, ReLU, conv1x1)``, both convs with bias as in the reference code.
    """
    return nn.Sequential(nn.Conv2d(in_channels, hidden_channels, 1), nn.BatchNorm2d(hidden_channels),
                         nn.ReLU(inplace=True), nn.Conv2d(hidden_channels, out_channels, 1))
