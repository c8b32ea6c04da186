"""SupReMix (Wu et al., "Mixup Your Own Pairs", 2023): supervised contrastive regression whose hard pairs are mixtures
of embeddings. The paper's code is not released; every rule below is our choice, stated in
``configs/text/supremix/README.md``.

For an anchor i with label y_i (d_ij = |y_i - y_j|, ``tol`` the label tolerance):

- real positives: other samples with d_ij <= tol; real negatives: d_ij > tol.
- hard positives (anchor-exclusive mixtures): a sample j below and a sample k above the anchor (y_j < y_i - tol,
  y_k > y_i + tol), mixed with lambda = (y_k - y_i) / (y_k - y_j), so the implied label lambda y_j + (1 - lambda) y_k
  is exactly y_i. The r-th nearest lower sample is paired with the r-th nearest upper one (r < ``num_hard_positives``).
- hard negatives (anchor-inclusive mixtures): the anchor mixed with every real negative j, lambda_ij =
  1 - sqrt(d_min / d_ij) (d_min: the anchor's nearest negative label distance), so the implied label sits at
  sqrt(d_min d_ij) from the anchor's: never closer than the nearest real negative, never farther than j, and in the
  order of the negatives' own distances.
- distance weights: a negative (real or mixed) at label distance delta enters the denominator with weight
  delta / mean(d_in over the anchor's real negatives).

loss_i = -1/|P_i| sum_p [s_ip / t - log(sum_{q in P_i} exp(s_iq / t) + sum_n w_in exp(s_in / t))], cosine s, mean
over the anchors with at least one positive and one negative.
"""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS


def anchor_exclusive_mixtures(embeddings: torch.Tensor, labels: torch.Tensor, num: int,
                              tolerance: float = 0.0) -> Dict[str, torch.Tensor]:
    """Hard positives: per anchor, mixtures of a lower- and an upper-labelled sample whose implied label is the anchor's.

    Args:
        embeddings: (N, D).
        labels: (N,) float labels.
        num: mixtures per anchor (the r-th nearest below with the r-th nearest above, r < num; equal distances
            ordered by index).
        tolerance: labels within it of the anchor's count as equal (neither below nor above).

    Returns:
        ``mixtures`` (N, K, D) unnormalised, ``valid`` (N, K) bool, ``lam`` (N, K) weight of the lower sample,
        ``lower`` / ``upper`` (N, K) parent indices, ``implied`` (N, K) implied labels; K = min(num, N).
    """
    n = labels.shape[0]
    k = max(0, min(num, n))
    distance = (labels[None] - labels[:, None]).abs()
    below = labels[None] < labels[:, None] - tolerance
    above = labels[None] > labels[:, None] + tolerance
    inf = torch.tensor(float('inf'), device=labels.device, dtype=labels.dtype)
    # nearest first, ties by index (a stable sort), so the pairing is deterministic
    low_d, lower = (t[:, :k] for t in torch.where(below, distance, inf).sort(dim=1, stable=True))
    up_d, upper = (t[:, :k] for t in torch.where(above, distance, inf).sort(dim=1, stable=True))
    valid = torch.isfinite(low_d) & torch.isfinite(up_d)
    y_low, y_up = labels[lower], labels[upper]
    span = (y_up - y_low).clamp(min=torch.finfo(labels.dtype).tiny)
    lam = torch.where(valid, (y_up - labels[:, None]) / span, torch.zeros_like(span))
    mixtures = lam[..., None] * embeddings[lower] + (1 - lam[..., None]) * embeddings[upper]
    implied = lam * y_low + (1 - lam) * y_up
    return dict(mixtures=mixtures, valid=valid, lam=lam, lower=lower, upper=upper, implied=implied)


def anchor_inclusive_mixtures(embeddings: torch.Tensor, labels: torch.Tensor,
                              tolerance: float = 0.0) -> Dict[str, torch.Tensor]:
    """Hard negatives: the anchor mixed with each of its real negatives, lambda_ij = 1 - sqrt(d_min_i / d_ij).

    Args:
        embeddings: (N, D).
        labels: (N,) float labels.
        tolerance: label distances up to it are positives, not negatives.

    Returns:
        ``mixtures`` (N, N, D) unnormalised (row i: anchor i with sample j), ``valid`` (N, N) bool (j a negative of
        i), ``lam`` (N, N) weight of the anchor, ``implied`` (N, N) implied labels.
    """
    distance = (labels[None] - labels[:, None]).abs()
    valid = distance > tolerance
    big = torch.full_like(distance, float('inf'))
    nearest = torch.where(valid, distance, big).min(dim=1, keepdim=True).values
    ratio = torch.where(valid, nearest / distance.clamp(min=torch.finfo(labels.dtype).tiny), torch.ones_like(distance))
    lam = torch.where(valid, 1 - ratio.sqrt(), torch.zeros_like(distance))
    mixtures = lam[..., None] * embeddings[:, None] + (1 - lam[..., None]) * embeddings[None]
    implied = lam * labels[:, None] + (1 - lam) * labels[None]
    return dict(mixtures=mixtures, valid=valid, lam=lam, implied=implied)


@MODELS.register_module()
class SupReMixLoss(nn.Module):
    """Supervised contrastive regression with mixture hard pairs (see the module docstring for every rule).

    Args:
        temperature: softmax temperature of the cosine similarities.
        num_hard_positives: anchor-exclusive mixtures per anchor (0: none).
        hard_negatives: add the anchor-inclusive mixtures.
        distance_weighting: weight negatives by label distance (False: weight 1, i.e. SupCon's denominator).
        label_tolerance: labels this close count as equal (positives).
    """

    def __init__(self, temperature: float = 0.07, num_hard_positives: int = 4, hard_negatives: bool = True,
                 distance_weighting: bool = True, label_tolerance: float = 0.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'SupReMixLoss: temperature must be positive, got {temperature}')
        if num_hard_positives < 0 or label_tolerance < 0:
            raise ValueError(f'SupReMixLoss: num_hard_positives and label_tolerance must be >= 0, got '
                             f'{num_hard_positives} and {label_tolerance}')
        self.temperature, self.num_hard_positives = temperature, num_hard_positives
        self.hard_negatives, self.distance_weighting = hard_negatives, distance_weighting
        self.label_tolerance = label_tolerance

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Args:
            embeddings: (N, D) sample embeddings (normalised here).
            labels: (N,) regression targets.

        Returns:
            Scalar loss (0 with a graph when no anchor has both a positive and a negative).
        """
        if embeddings.dim() != 2 or labels.shape != embeddings.shape[:1]:
            raise ValueError(f'SupReMixLoss: need (N, D) embeddings and (N,) labels, got {tuple(embeddings.shape)} '
                             f'and {tuple(labels.shape)}')
        labels = labels.to(embeddings.dtype)
        z = F.normalize(embeddings, dim=-1)
        n, tol, t = z.shape[0], self.label_tolerance, self.temperature
        distance = (labels[None] - labels[:, None]).abs()
        eye = torch.eye(n, dtype=torch.bool, device=z.device)
        real_sim = z @ z.t() / t
        pos_logits, pos_mask = [real_sim], [(distance <= tol) & ~eye]
        neg_mask = distance > tol
        neg_count = neg_mask.sum(1, keepdim=True).clamp(min=1)
        mean_neg = (distance * neg_mask).sum(1, keepdim=True) / neg_count
        mean_neg = mean_neg.clamp(min=torch.finfo(z.dtype).tiny)

        def weights(delta: torch.Tensor) -> torch.Tensor:
            return delta / mean_neg if self.distance_weighting else torch.ones_like(delta)

        neg_logits, neg_mask_all, neg_weights = [real_sim], [neg_mask], [weights(distance)]
        if self.num_hard_positives:
            hp = anchor_exclusive_mixtures(z, labels, self.num_hard_positives, tol)
            pos_logits.append((z[:, None] * F.normalize(hp['mixtures'], dim=-1)).sum(-1) / t)
            pos_mask.append(hp['valid'])
        if self.hard_negatives:
            hn = anchor_inclusive_mixtures(z, labels, tol)
            neg_logits.append((z[:, None] * F.normalize(hn['mixtures'], dim=-1)).sum(-1) / t)
            neg_mask_all.append(hn['valid'])
            neg_weights.append(weights((hn['implied'] - labels[:, None]).abs()))
        pos_s, pos_m = torch.cat(pos_logits, 1), torch.cat(pos_mask, 1)
        neg_s, neg_m, neg_w = torch.cat(neg_logits, 1), torch.cat(neg_mask_all, 1), torch.cat(neg_weights, 1)
        minus_inf = torch.tensor(float('-inf'), device=z.device, dtype=z.dtype)
        log_denominator = torch.logsumexp(torch.cat([
            torch.where(pos_m, pos_s, minus_inf),
            torch.where(neg_m & (neg_w > 0), neg_s + neg_w.clamp(min=torch.finfo(z.dtype).tiny).log(), minus_inf),
        ], 1), dim=1)
        anchors = pos_m.any(1) & neg_mask.any(1)
        if not anchors.any():
            return z.sum() * 0
        per_pair = torch.where(pos_m, pos_s - log_denominator[:, None], torch.zeros_like(pos_s))
        per_anchor = -per_pair.sum(1) / pos_m.sum(1).clamp(min=1)
        return per_anchor[anchors].mean()

