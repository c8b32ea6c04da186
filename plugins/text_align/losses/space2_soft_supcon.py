"""The soft supervised contrastive loss of SPACE-2 (released ``space/utils/criterions.py::SupConLoss``).

SupCon (Khosla et al., 2020) with a real-valued mask: each anchor's log-probabilities over all other views in the
batch are averaged with the mask as weights,
``loss_i = -(T / T_base) * sum_j m_ij log p_ij / sum_j m_ij``, ``p_ij = exp(z_i.z_j / T) / sum_{k != i} exp(z_i.z_k / T)``.
A binary same-label mask gives SupCon; no mask gives SimCLR (each row's other dropout view is its one positive).
"""
from typing import Optional

import torch
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class SoftSupConLoss(nn.Module):
    """Soft-mask SupCon over ``n_views`` views of each row, every view an anchor (``contrast_mode='all'``).

    Args:
        temperature: logit temperature T (SPACE-2: 0.07).
        base_temperature: T_base of the ``T / T_base`` scale (SPACE-2: 0.07, so the scale is 1).
    """

    def __init__(self, temperature: float = 0.07, base_temperature: float = 0.07) -> None:
        super().__init__()
        if temperature <= 0 or base_temperature <= 0:
            raise ValueError(f'SoftSupConLoss: temperatures must be > 0, got {temperature}, {base_temperature}')
        self.temperature, self.base_temperature = temperature, base_temperature

    def forward(self, features: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            features: (B, n_views, D) features (SPACE-2 L2-normalises them).
            mask: (B, B) weights of row j as a positive of row i (SPACE-2: a view's score matrix, 1 on the
                diagonal); None: the identity (SimCLR).

        Returns:
            The scalar loss, averaged over all B * n_views anchors.
        """
        if features.dim() != 3:
            raise ValueError(f'SoftSupConLoss: features must be (batch, n_views, dim), got {tuple(features.shape)}')
        size, n_views = features.shape[:2]
        if mask is None:
            mask = torch.eye(size, device=features.device)
        if mask.shape != (size, size):
            raise ValueError(f'SoftSupConLoss: mask must be ({size}, {size}) for a batch of {size}, got '
                             f'{tuple(mask.shape)}')
        flat = features.transpose(0, 1).reshape(size * n_views, -1)  # view-major, as torch.cat(unbind(dim=1))
        logits = flat @ flat.T / self.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        not_self = ~torch.eye(size * n_views, dtype=torch.bool, device=features.device)
        weights = mask.to(logits.dtype).repeat(n_views, n_views) * not_self
        log_denominator = torch.logsumexp(logits.masked_fill(~not_self, float('-inf')), dim=1, keepdim=True)
        log_prob = logits - log_denominator
        mean_log_prob_pos = (weights * log_prob).sum(1) / weights.sum(1)
        return -(self.temperature / self.base_temperature) * mean_log_prob_pos.mean()
