"""uCLIP's projection head (``uclip/projector.py`` of dinyudin203/uCLIP): Linear -> BatchNorm -> ReLU -> Linear to
the joint width, output L2-normalised."""
import torch
import torch.nn.functional as F
from torch import nn


class UCLIPHead(nn.Module):
    """One head: ``Linear(d, 2d) -> BatchNorm1d(2d) -> ReLU -> Linear(2d, joint_dim)``, then L2 normalisation.

    Head A takes the multilingual encoder's width (MiniLM 384, mpnet / mE5 768), head B the CLIP width (512 for
    ViT-B/32); with 384 and 512 the two hold 690,944 + 1,052,160 = 1,743,104 parameters, as released.

    Args:
        in_dim: input width.
        joint_dim: output (joint space) width (uCLIP: 512).
        hidden_mult: hidden width = ``hidden_mult * in_dim`` (uCLIP: 2).
    """

    def __init__(self, in_dim: int, joint_dim: int = 512, hidden_mult: int = 2) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.layers = nn.Sequential(nn.Linear(in_dim, hidden_mult * in_dim), nn.BatchNorm1d(hidden_mult * in_dim),
                                    nn.ReLU(), nn.Linear(hidden_mult * in_dim, joint_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_dim) -> (N, joint_dim) unit-norm embeddings."""
        if x.shape[-1] != self.in_dim:
            raise ValueError(f'UCLIPHead: inputs have width {x.shape[-1]}, the head takes {self.in_dim}')
        return F.normalize(self.layers(x), dim=-1)
