"""LayerNorm over the channels of an (N, C, H, W) map: Flax's ``nn.LayerNorm`` on channels-last features, as the
released DITO pyramid, RPN and box head use it."""
import torch
import torch.nn.functional as F
from torch import nn


class ChannelLayerNorm(nn.LayerNorm):
    """``nn.LayerNorm(C)`` applied at every position of an (N, C, H, W) map (keys ``weight``, ``bias``).

    Args:
        channels: C.
        eps: epsilon (Flax's default, used by the release: 1e-6).
    """

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: (N, C, H, W) map.

        Returns:
            The normalised map, same shape.
        """
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
