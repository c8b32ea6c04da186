"""The truncated-normal initialisation of linear layers that CLIP-based heads use (std 0.02, zero bias)."""
from torch import nn


def trunc_normal_linears(module: nn.Module, std: float = 0.02) -> None:
    """Initialise every ``nn.Linear`` inside ``module``: weights ~ truncated normal(0, std), biases 0.

    Args:
        module: the module whose linear layers are initialised (in place).
        std: standard deviation.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.trunc_normal_(layer.weight, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
