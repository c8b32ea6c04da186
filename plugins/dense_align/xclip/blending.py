"""Mixup / CutMix on video batches with label-smoothed soft targets (X-CLIP's CutmixMixupBlending)."""
from typing import Tuple

import numpy as np
import torch


class MixupCutmix:
    """Per batch: CutMix with probability ``switch_prob``, else Mixup; each clip is mixed with the clip at the
    mirrored batch position (the batch flipped), the same box for every frame.

    Args:
        num_classes: K.
        mixup_alpha: Beta parameter of the Mixup weight (0.8).
        cutmix_alpha: Beta parameter of the CutMix area (1.0).
        switch_prob: probability of CutMix (0.5).
        label_smoothing: smoothing of the one-hot targets (0.1).
    """

    def __init__(self, num_classes: int, mixup_alpha: float = 0.8, cutmix_alpha: float = 1.0,
                 switch_prob: float = 0.5, label_smoothing: float = 0.1) -> None:
        self.num_classes, self.mixup_alpha, self.cutmix_alpha = num_classes, mixup_alpha, cutmix_alpha
        self.switch_prob, self.label_smoothing = switch_prob, label_smoothing

    def smooth_one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        """(B,) labels -> (B, K) smoothed targets."""
        off = self.label_smoothing / self.num_classes
        targets = torch.full((labels.shape[0], self.num_classes), off, device=labels.device)
        return targets.scatter_(1, labels.long()[:, None], 1 - self.label_smoothing + off)

    def __call__(self, videos: torch.Tensor, labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            videos: (B, ..., H, W) clips.
            labels: (B,) class ids.

        Returns:
            Mixed clips and (B, K) soft targets.
        """
        targets = self.smooth_one_hot(labels)
        use_cutmix = np.random.rand() < self.switch_prob
        lam = float(np.random.beta(*(2 * [self.cutmix_alpha if use_cutmix else self.mixup_alpha])))
        flipped = videos.flip(0)
        if use_cutmix:
            h, w = videos.shape[-2:]
            cut_h, cut_w = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
            cy, cx = np.random.randint(h), np.random.randint(w)
            y1, y2 = np.clip(cy - cut_h // 2, 0, h), np.clip(cy + cut_h // 2, 0, h)
            x1, x2 = np.clip(cx - cut_w // 2, 0, w), np.clip(cx + cut_w // 2, 0, w)
            videos = videos.clone()
            videos[..., y1:y2, x1:x2] = flipped[..., y1:y2, x1:x2]
            lam = 1 - (y2 - y1) * (x2 - x1) / (h * w)  # the area actually pasted
        else:
            videos = lam * videos + (1 - lam) * flipped
        return videos, lam * targets + (1 - lam) * targets.flip(0)
