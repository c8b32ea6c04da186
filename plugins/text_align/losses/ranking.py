"""Ranking losses for fine-tuning a re-ranker on (query, positive, negatives) groups of scores."""
import torch
import torch.nn.functional as F


def pairwise_softmax_margin_loss(scores: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """B-PROP's pairwise form, the ROP loss of pre-training applied to a query's positive against each negative:
    the (positive, negative) scores are softmaxed and ``max(0, margin - (p_pos - p_neg))`` is averaged over all
    (query, negative) pairs (``MarginRankingLoss`` on the pair probabilities).

    Args:
        scores: (B, G) scores of each query's group, the positive in column 0 and G - 1 >= 1 negatives after it.
        margin: the margin (1, as the released ``PROP`` model).

    Returns:
        The scalar loss.
    """
    if scores.dim() != 2 or scores.shape[1] < 2:
        raise ValueError(f'pairwise_softmax_margin_loss: scores must be (queries, 1 + negatives >= 2), got '
                         f'{tuple(scores.shape)}')
    pos = scores[:, :1].expand(-1, scores.shape[1] - 1)
    probs = F.softmax(torch.stack([pos, scores[:, 1:]], dim=-1), dim=-1)
    return F.relu(margin - (probs[..., 0] - probs[..., 1])).mean()


def listwise_softmax_loss(scores: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy of each query's group with the positive (column 0) as the target.

    Args:
        scores: (B, G) scores, the positive first.

    Returns:
        The scalar loss (mean over the queries).
    """
    if scores.dim() != 2 or scores.shape[1] < 2:
        raise ValueError(f'listwise_softmax_loss: scores must be (queries, 1 + negatives >= 2), got '
                         f'{tuple(scores.shape)}')
    return F.cross_entropy(scores, torch.zeros(scores.shape[0], dtype=torch.long, device=scores.device))
