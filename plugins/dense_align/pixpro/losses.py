"""PixPro's pixel-propagation consistency loss and the PixContrast loss, on positive-pair masks."""
import torch
import torch.nn.functional as F


def propagation_consistency_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``-2 x`` the mean cosine between propagated query pixels and their positive key pixels (one direction).

    Args:
        pred: (N, C, Hq, Wq) propagated features of one view (L2-normalised).
        target: (N, C, Hk, Wk) momentum-encoder features of the other view (L2-normalised).
        mask: (N, Hq * Wq, Hk * Wk) positive pairs.

    Returns:
        Scalar in [-2, 2]; images without positive pairs contribute 0 (never NaN).
    """
    logits = torch.bmm(pred.flatten(2).transpose(1, 2), target.flatten(2))  # N, HWq, HWk
    mask = mask.to(logits.dtype)
    per_image = (logits * mask).sum(dim=(1, 2)) / (mask.sum(dim=(1, 2)) + 1e-6)
    return -2 * per_image.mean()


def pixcontrast_per_image(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor,
                          temperature: float = 0.3) -> torch.Tensor:
    """PixContrast of one direction (paper Eq. 2), one value per image.

    For each query pixel ``i`` with at least one positive: ``-log(sum_pos exp(cos / t) / sum_all exp(cos / t))``
    over the key pixels of the same image (the non-positives are its negatives); averaged over those query pixels.

    Args:
        q: (N, C, Hq, Wq) online features of one view.
        k: (N, C, Hk, Wk) momentum features of the other view.
        mask: (N, Hq * Wq, Hk * Wk) positive pairs.
        temperature: softmax temperature.

    Returns:
        (N,) per-image loss; 0 for an image whose views do not overlap.
    """
    q = F.normalize(q.flatten(2), dim=1)
    k = F.normalize(k.flatten(2), dim=1)
    logits = torch.bmm(q.transpose(1, 2), k) / temperature  # N, HWq, HWk
    has_pos = mask.any(dim=2)  # N, HWq
    # a finite fill, not -inf: rows without positives stay finite and give no NaN gradient
    log_pos = torch.logsumexp(logits.masked_fill(~mask, torch.finfo(logits.dtype).min), dim=2)
    per_pixel = torch.where(has_pos, torch.logsumexp(logits, dim=2) - log_pos, logits.new_zeros(()))
    return per_pixel.sum(dim=1) / has_pos.sum(dim=1).clamp(min=1)


def pixcontrast_loss(q_1: torch.Tensor, k_2: torch.Tensor, q_2: torch.Tensor, k_1: torch.Tensor,
                     mask_12: torch.Tensor, temperature: float = 0.3) -> torch.Tensor:
    """Symmetric PixContrast as the paper describes it: per image, the mean over view-1 pixels in the overlap and the
    mean over view-2 pixels, averaged; then the mean over the image pairs whose views overlap.

    Args:
        q_1: (N, C, H, W) online features of view 1.
        k_2: (N, C, H, W) momentum features of view 2.
        q_2: (N, C, H, W) online features of view 2.
        k_1: (N, C, H, W) momentum features of view 1.
        mask_12: (N, HW, HW) positives between view-1 (rows) and view-2 (columns) cells.
        temperature: softmax temperature.

    Returns:
        Scalar loss; 0 (with a gradient path) when no image pair overlaps.
    """
    per_image = (pixcontrast_per_image(q_1, k_2, mask_12, temperature) +
                 pixcontrast_per_image(q_2, k_1, mask_12.transpose(1, 2), temperature)) / 2
    overlap = mask_12.flatten(1).any(dim=1)
    if not overlap.any():
        return per_image.sum() * 0
    return per_image[overlap].mean()
