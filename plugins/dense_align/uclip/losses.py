"""uCLIP's losses (``uclip/loss.py`` and ``train.py::compute_loss`` of dinyudin203/uCLIP)."""
from typing import Dict

import torch
import torch.nn.functional as F

from align_core.contrastive import symmetric_infonce


def uclip_losses(mul: torch.Tensor, eng: torch.Tensor, clip_text: torch.Tensor, image: torch.Tensor,
                 temperature: float = 0.01, intra_weight: float = 0.1, gather: bool = True) -> Dict[str, torch.Tensor]:
    """The inter (contrastive) and intra (distance) terms on the projected embeddings.

    ``loss_inter_text`` = symmetric InfoNCE(English -> head A, CLIP text -> head B) at ``T``;
    ``loss_inter_pseudo`` = symmetric InfoNCE(pseudo multilingual -> A, pseudo image -> B) at ``T``;
    ``loss_intra`` = ``intra_weight * (||mul - eng|| + ||clip_text - image||).mean() / 2`` (Euclidean distances of
    paired rows, as ``F.pairwise_distance``).

    Args:
        mul: (B, D) projected pseudo multilingual embeddings.
        eng: (B, D) projected English embeddings (multilingual encoder).
        clip_text: (B, D) projected CLIP text embeddings.
        image: (B, D) projected pseudo image embeddings.
        temperature: InfoNCE temperature (uCLIP: 0.01).
        intra_weight: weight of the distance term (uCLIP: 0.1).
        gather: negatives from every process under DDP (the released code uses local negatives for the InfoNCE
            terms).

    Returns:
        ``loss_inter_text``, ``loss_inter_pseudo``, ``loss_intra``.
    """
    scale = torch.tensor(1.0 / temperature, device=mul.device)
    intra = (F.pairwise_distance(mul, eng, p=2) + F.pairwise_distance(clip_text, image, p=2)).mean() / 2
    return dict(loss_inter_text=symmetric_infonce(eng, clip_text, scale, gather=gather),
                loss_inter_pseudo=symmetric_infonce(mul, image, scale, gather=gather),
                loss_intra=intra_weight * intra)
