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


def pixcontrast_loss(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor, temperature: float = 0.3) -> torch.Tensor:
    """InfoNCE over pixels: each query pixel with positives against its positive and negative key pixels.

    ``-log(sum_pos exp(cos / t) / sum_all exp(cos / t))``, averaged over the query pixels that have a positive.

    Args:
        q: (N, C, Hq, Wq) online features of one view.
        k: (N, C, Hk, Wk) momentum features of the other view.
        mask: (N, Hq * Wq, Hk * Wk) positive pairs.
        temperature: softmax temperature.

    Returns:
        Scalar loss; 0 (with a gradient path) when no query pixel has a positive.
    """
    q = F.normalize(q.flatten(2), dim=1)
    k = F.normalize(k.flatten(2), dim=1)
    logits = torch.bmm(q.transpose(1, 2), k) / temperature  # N, HWq, HWk
    log_all = torch.logsumexp(logits, dim=2)
    log_pos = torch.logsumexp(logits.masked_fill(~mask, float('-inf')), dim=2)
    has_pos = mask.any(dim=2)
    if not has_pos.any():
        return logits.sum() * 0
    return (log_all - log_pos)[has_pos].mean()
