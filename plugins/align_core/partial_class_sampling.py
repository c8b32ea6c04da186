"""PartialFC-style class sampling: score a batch against its positive classes plus a random part of the others."""
from typing import Optional

import torch


def sample_shard_classes(positive_ids: torch.Tensor, start: int, end: int, sample_rate: float,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Global ids of the classes of shard ``[start, end)`` that a training step scores.

    As PartialFC (insightface ``arcface_torch/partial_fc_v2.py``): the step keeps ``int(sample_rate * shard size)``
    classes, every positive of the batch that falls in this shard first and random other classes to fill up; when
    the positives alone are more, all of them are kept and no negative.

    Args:
        positive_ids: global ids of the batch's positive classes (any shard; repeats and ids outside are ignored).
        start: first global id of this process's shard.
        end: one past its last.
        sample_rate: fraction of the shard to score, in (0, 1]; 1.0 keeps every class.
        generator: random generator for the negatives.

    Returns:
        (S,) sorted global class ids (long), on the device of ``positive_ids``.
    """
    if not 0.0 < sample_rate <= 1.0:
        raise ValueError(f'sample_shard_classes: sample_rate must be in (0, 1], got {sample_rate}')
    device = positive_ids.device
    size = end - start
    if sample_rate == 1.0:
        return torch.arange(start, end, device=device)
    local = positive_ids[(positive_ids >= start) & (positive_ids < end)].unique() - start
    keep = int(sample_rate * size)
    if local.numel() >= keep:
        return local + start
    priority = torch.rand(size, generator=generator).to(device)
    priority[local] = 2.0  # positives first: random priorities are below 1
    return torch.topk(priority, keep).indices.sort().values + start
