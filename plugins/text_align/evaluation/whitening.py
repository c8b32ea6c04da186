"""Whitening of embeddings for retrieval (CCP's post-hoc calibration, as the released DPR code's ``whitening()``):
centre on the fitting corpus's mean, then ``W = U S^-1/2`` from the SVD of its covariance."""
from typing import Tuple

import torch
from torch import nn


def fit_whitening(embeddings: torch.Tensor, eps: float = 1e-8) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and whitening matrix of a set of embeddings.

    The covariance is ``(X - mu)^T (X - mu) / n`` (the released code omits the ``1 / n``, which scales every
    whitened vector by the same ``1 / sqrt(n)`` and changes no ranking); directions with a singular value below
    ``eps`` (fewer embeddings than dimensions) are dropped, so ``W`` is (D, r).

    Args:
        embeddings: (n, D) fitting set.
        eps: smallest singular value kept.

    Returns:
        ``(mu (1, D), W (D, r))``, float64; whitened = ``(x - mu) @ W`` has identity covariance on the fitting set.
    """
    if embeddings.dim() != 2 or embeddings.shape[0] < 2:
        raise ValueError(f'fit_whitening: needs (n >= 2, D) embeddings, got {tuple(embeddings.shape)}')
    x = embeddings.double()
    mu = x.mean(dim=0, keepdim=True)
    cov = (x - mu).t() @ (x - mu) / x.shape[0]
    u, s, _ = torch.linalg.svd(cov)
    keep = s > eps
    return mu, u[:, keep] / s[keep].sqrt()


class Whitening(nn.Module):
    """Fitted whitening kept as buffers, so that it is saved and loaded with the model's state dict.

    Args:
        dim: embedding size D.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer('mean', torch.zeros(1, dim, dtype=torch.float64))
        self.register_buffer('matrix', torch.eye(dim, dtype=torch.float64))
        self.register_buffer('fitted', torch.tensor(False))

    def fit(self, embeddings: torch.Tensor) -> None:
        """Fit on (n, D) embeddings (see :func:`fit_whitening`)."""
        self.mean, self.matrix = (t.to(self.mean.device) for t in fit_whitening(embeddings.detach()))
        self.fitted = torch.tensor(True, device=self.mean.device)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # the fitted matrix may be (D, r): take its shape from the checkpoint
        if prefix + 'matrix' in state_dict:
            self.matrix = torch.empty_like(state_dict[prefix + 'matrix'])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``(x - mu) @ W`` in the input's dtype; the input unchanged before :meth:`fit`."""
        if not bool(self.fitted):
            return embeddings
        return ((embeddings.double() - self.mean) @ self.matrix).to(embeddings.dtype)
