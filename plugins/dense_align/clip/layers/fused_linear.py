"""A linear layer with its activation fused into the matrix multiply (oneDNN on a CPU), for inference."""
from typing import Optional

import torch
import torch.nn.functional as F

_ONEDNN_ACTS = {'none': None, 'swish': F.silu, 'relu': F.relu}


def onednn_linear_available(x: torch.Tensor) -> bool:
    """Whether :func:`fused_linear` can use oneDNN's fused linear for ``x``: a float32 CPU tensor, no autograd,
    and a PyTorch build with oneDNN (``torch.ops.mkldnn._linear_pointwise``)."""
    return (x.device.type == 'cpu' and x.dtype == torch.float32 and not torch.is_grad_enabled()
            and torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, '_linear_pointwise'))


def fused_linear(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                 act: str = 'none') -> torch.Tensor:
    """``act(x @ weight.T + bias)`` in one oneDNN call where available, else ``F.linear`` and the activation.

    On a CPU oneDNN's fp32 kernel is also faster than the default GEMM for these shapes; the result equals
    ``F.linear`` within float rounding (a different summation order).

    Args:
        x: input (..., in_features).
        weight: (out_features, in_features).
        bias: (out_features, ) or None.
        act: ``'none'``, ``'swish'`` (SiLU) or ``'relu'``.

    Returns:
        (..., out_features).
    """
    if act not in _ONEDNN_ACTS:
        raise ValueError(f'fused_linear: act must be one of {sorted(_ONEDNN_ACTS)}, got {act!r}')
    if onednn_linear_available(x):
        out = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, x.shape[-1]).contiguous(), weight, bias, act, [], '')
        return out.view(*x.shape[:-1], weight.shape[0])
    out = F.linear(x, weight, bias)
    fn = _ONEDNN_ACTS[act]
    return out if fn is None else fn(out)
