"""SyCL's list-wise Wasserstein loss (``WS2Loss`` of BatsResearch/sycl ``train.py``) and a per-list sorted-CDF
1-Wasserstein option.

The released loss turns each query's scores into a distribution (softmax of logits / T) and its graded labels into
another (softmax of the grades), then fits one Gaussian to the predicted rows and one to the target rows across the
batch and returns the closed-form 2-Wasserstein distance between the two Gaussians.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS


def gaussian_w2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared 2-Wasserstein distance between Gaussians fitted to the rows of ``x`` and of ``y``.

    ``||mu_x - mu_y||^2 + Tr(S_x + S_y - 2 (S_x S_y)^1/2)`` with unbiased covariances (1 / (b - 1); 1 for b = 1). The
    root's trace is the sum of square roots of the eigenvalues of ``C_x^T C_y C_y^T C_x`` (``C`` the centred rows
    scaled by ``1 / sqrt(b - 1)``, a b x b matrix instead of n x n), in float64, + 1e-15 against an infinite gradient
    at 0, as released.

    Args:
        x: (b, n) samples (rows) of the first distribution.
        y: (b, n) samples of the second.

    Returns:
        Scalar (float64).
    """
    if x.shape != y.shape or x.dim() != 2:
        raise ValueError(f'gaussian_w2: x and y must be (b, n) of one shape, got {tuple(x.shape)} and {tuple(y.shape)}')
    x, y = x.t().double(), y.t().double()  # (n, b)
    b = x.shape[1]
    fact = 1.0 if b < 2 else 1.0 / (b - 1)
    mu_x, mu_y = x.mean(dim=1, keepdim=True), y.mean(dim=1, keepdim=True)
    c_x, c_y = (x - mu_x) * math.sqrt(fact), (y - mu_y) * math.sqrt(fact)
    m = (c_x.t() @ c_y) @ (c_y.t() @ c_x)
    root_trace = (torch.linalg.eigvals(m) + 1e-15).sqrt().abs().sum()
    trace = (c_x * c_x).sum() + (c_y * c_y).sum() - 2.0 * root_trace
    return trace + ((mu_x - mu_y) ** 2).sum()


def sorted_cdf_w1(preds: torch.Tensor, targets: torch.Tensor, grades: torch.Tensor) -> torch.Tensor:
    """Mean over lists of the 1-Wasserstein distance between two distributions over a list's rank positions.

    Each list's passages are ordered by descending grade (stable); position k holds mass ``preds`` (resp.
    ``targets``); W1 on the positions 0..G-1 is ``sum_k |F_p(k) - F_q(k)|`` (the CDFs' L1 distance), i.e.
    ``scipy.stats.wasserstein_distance(range(G), range(G), p, q)``.

    Args:
        preds: (B, G) rows summing to 1.
        targets: (B, G) rows summing to 1.
        grades: (B, G) grades that order each list.

    Returns:
        Scalar.
    """
    order = torch.sort(grades, dim=1, descending=True, stable=True).indices
    cdf_p = preds.gather(1, order).cumsum(dim=1)
    cdf_q = targets.to(preds.dtype).gather(1, order).cumsum(dim=1)
    return (cdf_p - cdf_q).abs()[:, :-1].sum(dim=1).mean()


@MODELS.register_module()
class WS2Loss(nn.Module):
    """List-wise loss on graded lists: softmax(logits / T) vs softmax(grades), then a Wasserstein distance.

    Args:
        temperature: T of the predicted softmax (trove's default 1.0, used by the released runs).
        form: ``'gaussian'`` (released: closed-form W2 between Gaussians fitted across the batch) or
            ``'sorted_cdf'`` (per-list W1 on grade-sorted positions, averaged over lists; own-group logits only).
    """

    def __init__(self, temperature: float = 1.0, form: str = 'gaussian') -> None:
        super().__init__()
        if form not in ('gaussian', 'sorted_cdf'):
            raise ValueError(f"WS2Loss: form must be 'gaussian' or 'sorted_cdf', got {form!r}")
        if temperature <= 0:
            raise ValueError(f'WS2Loss: temperature must be positive, got {temperature}')
        self.temperature, self.form = float(temperature), form

    def forward(self, logits: torch.Tensor, grades: torch.Tensor) -> torch.Tensor:
        """Args:
            logits: (B, B*G) scores of each query against every passage of the batch (query i's own group is
                columns i*G .. i*G+G-1), or (B, G) own-group scores.
            grades: (B, G) graded labels of each query's group.

        Returns:
            Scalar loss (float64 for ``'gaussian'``).
        """
        b, g = grades.shape
        if logits.shape not in ((b, g), (b, b * g)):
            raise ValueError(f'WS2Loss: logits must be (B, G) or (B, B*G) for grades {tuple(grades.shape)}, got '
                             f'{tuple(logits.shape)}')
        if self.form == 'sorted_cdf':
            if logits.shape[1] != g:  # own group only
                logits = logits.view(b, b, g)[torch.arange(b), torch.arange(b)]
            preds = F.softmax(logits / self.temperature, dim=1)
            return sorted_cdf_w1(preds, F.softmax(grades.double(), dim=1).to(preds.dtype), grades)
        labels = grades if logits.shape[1] == g else torch.block_diag(*grades.to(logits.dtype).unsqueeze(1))
        preds = F.softmax(logits / self.temperature, dim=1)
        targets = F.softmax(labels.double(), dim=1)
        return gaussian_w2(preds, targets)
