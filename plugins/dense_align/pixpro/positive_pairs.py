"""PixPro's positive pixel pairs: feature cells of two views whose centres, mapped back to the original image, lie
closer than ``threshold`` times the larger feature-bin diagonal."""
import torch


def cell_centres(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Original-image coordinates of the centres of a view's feature cells.

    Args:
        boxes: (N, 4) crop boxes ``(x1, y1, x2, y2)``, each axis normalised to [0, 1] in the original image; a
            horizontal flip is recorded by swapping x1 and x2 (the bin width becomes negative, mirroring the columns).
        height: feature-map height.
        width: feature-map width.

    Returns:
        (N, height * width, 2) ``(x, y)`` centres, row-major over the feature map.
    """
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    bin_w, bin_h = (x2 - x1) / width, (y2 - y1) / height
    cols = torch.arange(width, dtype=boxes.dtype, device=boxes.device) + 0.5
    rows = torch.arange(height, dtype=boxes.dtype, device=boxes.device) + 0.5
    xs = x1[:, None] + cols[None] * bin_w[:, None]  # N, W
    ys = y1[:, None] + rows[None] * bin_h[:, None]  # N, H
    grid_x = xs[:, None, :].expand(-1, height, -1)
    grid_y = ys[:, :, None].expand(-1, -1, width)
    return torch.stack([grid_x, grid_y], dim=-1).reshape(boxes.shape[0], height * width, 2)


def positive_pair_mask(boxes_q: torch.Tensor, boxes_k: torch.Tensor, size_q: tuple, size_k: tuple,
                       threshold: float = 0.7) -> torch.Tensor:
    """Which cells of view q and view k see (nearly) the same place of the original image.

    Args:
        boxes_q: (N, 4) crop boxes of the query view (see :func:`cell_centres`).
        boxes_k: (N, 4) crop boxes of the key view.
        size_q: (H, W) of the query feature map.
        size_k: (H, W) of the key feature map.
        threshold: T of the paper (0.7): pairs closer than T bin diagonals are positives; the diagonal is the
            larger of the two views' feature bins.

    Returns:
        (N, Hq * Wq, Hk * Wk) boolean mask.
    """
    centres_q = cell_centres(boxes_q, *size_q)
    centres_k = cell_centres(boxes_k, *size_k)
    dist = torch.cdist(centres_q, centres_k)

    def diagonal(boxes: torch.Tensor, size: tuple) -> torch.Tensor:
        return torch.hypot((boxes[:, 2] - boxes[:, 0]) / size[1], (boxes[:, 3] - boxes[:, 1]) / size[0])

    max_diag = torch.maximum(diagonal(boxes_q, size_q), diagonal(boxes_k, size_k))
    return dist / max_diag[:, None, None] < threshold
