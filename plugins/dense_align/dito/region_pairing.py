"""How DITO's pre-training meets regions and pyramid levels with the caption: the boxes to pool and how their
region embeddings become one image embedding (the paper leaves this open; see configs/dito/README.md)."""
from typing import List, Optional

import torch
import torch.nn.functional as F

#: ``image_box_mean``: the whole-image box pooled at every level, the L2-normalised level embeddings averaged, one
#: InfoNCE. ``image_box_per_level``: the same boxes, one InfoNCE per level, averaged. ``random_boxes_mean``:
#: ``num_boxes`` random boxes per image and level, the caption a weak positive for the mean of all of them.
PAIRINGS = ('image_box_mean', 'image_box_per_level', 'random_boxes_mean')


def check_pairing(pairing: str) -> str:
    """Return ``pairing`` if known, else raise a ``ValueError`` naming the choices."""
    if pairing not in PAIRINGS:
        raise ValueError(f'DITO pairing must be one of {PAIRINGS}, got {pairing!r}')
    return pairing


def whole_image_rois(batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
    """One box covering each image.

    Args:
        batch: number of images B.
        height: image height in pixels.
        width: image width in pixels.
        device: device of the result.

    Returns:
        (B, 5) rois ``(batch_index, x1, y1, x2, y2)``.
    """
    index = torch.arange(batch, device=device, dtype=torch.float32)[:, None]
    box = torch.tensor([0.0, 0.0, float(width), float(height)], device=device).expand(batch, 4)
    return torch.cat([index, box], dim=1)


def random_rois(batch: int, num_boxes: int, height: int, width: int, min_side: float = 0.25,
                generator: Optional[torch.Generator] = None, device: torch.device = torch.device('cpu')
                ) -> torch.Tensor:
    """``num_boxes`` random boxes per image, sides uniform in ``[min_side, 1]`` of the image side, inside it.

    Args:
        batch: number of images B.
        num_boxes: boxes per image n.
        height: image height in pixels.
        width: image width in pixels.
        min_side: smallest box side as a fraction of the image side.
        generator: random generator (on the CPU).
        device: device of the result.

    Returns:
        (B * n, 5) rois, image-major.
    """
    if not 0 < min_side <= 1:
        raise ValueError(f'random_rois: min_side must be in (0, 1], got {min_side}')
    size = torch.rand(batch, num_boxes, 2, generator=generator) * (1 - min_side) + min_side
    start = torch.rand(batch, num_boxes, 2, generator=generator) * (1 - size)
    scale = torch.tensor([width, height], dtype=torch.float32)
    x1y1, x2y2 = start * scale, (start + size) * scale
    index = torch.arange(batch, dtype=torch.float32)[:, None, None].expand(batch, num_boxes, 1)
    return torch.cat([index, x1y1, x2y2], dim=-1).reshape(-1, 5).to(device)


def mean_of_unit(embeds: List[torch.Tensor], batch: int) -> torch.Tensor:
    """Average L2-normalised region embeddings per image.

    Args:
        embeds: per level, (B * n, D) region embeddings, image-major.
        batch: number of images B.

    Returns:
        (B, D) mean over every level and box of the unit-length embeddings.
    """
    stacked = torch.stack([F.normalize(e, dim=-1).reshape(batch, -1, e.shape[-1]) for e in embeds], dim=1)
    return stacked.flatten(1, 2).mean(dim=1)
