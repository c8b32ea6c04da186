"""SPACE-2's view subspaces: one Linear(H, H_sub x 10) + Tanh, reshaped into one feature per view."""
from typing import Optional, Sequence

import torch
from torch import nn

from ..losses.tree_score import VIEWS
from ..registry import MODELS


@MODELS.register_module()
class SubspaceProjection(nn.Module):
    """Projects a sentence vector into one subspace per tree view (released ``space/modules/subspace.py``).

    Args:
        hidden_dim: input width H.
        subspace_dim: width of each subspace (SPACE-2: 768 = H).
        views: the views trained (``trigger_subspaces``), names from :data:`~text_align.losses.tree_score.VIEWS`;
            None: all 10. The projection always has all 10 (as released).
    """

    def __init__(self, hidden_dim: int, subspace_dim: Optional[int] = None,
                 views: Optional[Sequence[str]] = None) -> None:
        super().__init__()
        self.subspace_dim = subspace_dim or hidden_dim
        unknown = [v for v in views or () if v not in VIEWS]
        if unknown:
            raise ValueError(f'SubspaceProjection: unknown views {unknown}; known: {VIEWS}')
        self.view_indices = [VIEWS.index(v) for v in views] if views else list(range(len(VIEWS)))
        self.projection = nn.Sequential(nn.Linear(hidden_dim, self.subspace_dim * len(VIEWS)), nn.Tanh())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args:
            features: (N, H).

        Returns:
            (N, V, subspace_dim) for the V trained views, in :data:`VIEWS` order.
        """
        out = self.projection(features).reshape(features.shape[0], len(VIEWS), self.subspace_dim)
        return out[:, self.view_indices]
