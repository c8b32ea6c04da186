"""MoCo's loss for text (Contriever): a query against its momentum-encoded key and a queue of older keys."""
import torch
import torch.nn.functional as F

from align_core.momentum_queue import FeatureQueue


def moco_infonce(queries: torch.Tensor, keys: torch.Tensor, queue: FeatureQueue, temperature: float = 0.05,
                 normalize: bool = False, label_smoothing: float = 0.0) -> torch.Tensor:
    """``CE([q.k+, q.queue] / t, 0)``; the queue holds only keys enqueued so far.

    Args:
        queries: (B, D) query-encoder outputs.
        keys: (B, D) momentum-encoder outputs of the positives (no gradient).
        queue: older keys.
        temperature: softmax temperature (Contriever 0.05).
        normalize: L2-normalise queries and keys first (Contriever scores raw dot products by default).
        label_smoothing: cross-entropy label smoothing.

    Returns:
        Scalar loss.
    """
    keys = keys.detach()
    if normalize:
        queries, keys = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    positive = (queries * keys).sum(dim=-1, keepdim=True)
    negatives = queries @ queue.valid().to(queries.dtype).t().clone()  # the queue changes in place later
    logits = torch.cat([positive, negatives], dim=1) / temperature
    labels = torch.zeros(queries.shape[0], dtype=torch.long, device=queries.device)
    return F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
