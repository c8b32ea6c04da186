"""open_clip's gradient accumulation for contrastive losses: cache the features of every micro-batch, then re-run
each micro-batch's forward with gradients against the cached features of the others.

mmengine's ``accumulative_counts`` back-propagates each micro-batch alone, so its negatives come from that
micro-batch only. Here every backward pass sees the features of the whole accumulated batch, with only one
micro-batch's features live; the summed gradients are the gradient of the big batch's loss.
"""
import contextlib
from typing import Any, Callable, ContextManager, List, Optional, Tuple

import torch

Features = Tuple[torch.Tensor, ...]


class FeatureCacheAccumulator:
    """Collects micro-batches with their gradient-free features until ``steps`` are held.

    Args:
        steps: micro-batches per optimizer step (open_clip's ``--accum-freq``).
    """

    def __init__(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f'FeatureCacheAccumulator: steps must be >= 1, got {steps}')
        self.steps = steps
        self.batches: List[Any] = []
        self.features: List[Features] = []

    def add(self, batch: Any, encode: Callable[[Any], Features]) -> bool:
        """Keep ``batch`` and its features computed without gradients.

        Args:
            batch: one micro-batch, as ``encode`` takes it.
            encode: micro-batch -> tuple of (B_j, ...) feature tensors (e.g. image and text embeddings).

        Returns:
            True when ``steps`` micro-batches are held and :meth:`backward` should run.
        """
        with torch.no_grad():
            self.features.append(tuple(f.detach() for f in encode(batch)))
        self.batches.append(batch)
        return len(self.batches) >= self.steps

    def backward(self, encode: Callable[[Any], Features], loss_fn: Callable[[Features, bool], torch.Tensor],
                 backward: Callable[[torch.Tensor], None],
                 no_sync: Optional[Callable[[], ContextManager]] = None) -> torch.Tensor:
        """Re-run each held micro-batch with gradients and back-propagate the big batch's loss through it.

        Pass ``j`` concatenates the cached features of every micro-batch with micro-batch ``j``'s live ones in its
        place and back-propagates ``loss_fn``; the gradients add up over the passes. Parameters that enter the loss
        directly (a temperature) would get their gradient once per pass, so ``loss_fn`` is told which pass is the
        one that should let them be live (the last; open_clip keeps them live in every pass, which multiplies their
        gradient by the number of micro-batches). The cache is emptied afterwards.

        Args:
            encode: as for :meth:`add`; must give the same features (no randomness inside it).
            loss_fn: ``(features of the whole big batch, shared_live) -> scalar loss``; with ``shared_live`` False it
                must detach the parameters shared by all passes.
            backward: back-propagates a loss (e.g. ``optim_wrapper.backward``).
            no_sync: context manager factory entered for every pass but the last (DDP's ``no_sync``), so gradients
                are reduced across processes once.

        Returns:
            The big batch's loss (detached), as the last pass computed it.
        """
        if not self.batches:
            raise RuntimeError('FeatureCacheAccumulator.backward: no micro-batch was added')
        loss = None
        last = len(self.batches) - 1
        for j, batch in enumerate(self.batches):
            context = no_sync() if (no_sync is not None and j < last) else contextlib.nullcontext()
            with context:
                live = encode(batch)
                features = tuple(
                    torch.cat([cached[k] for cached in self.features[:j]] + [live[k]] +
                              [cached[k] for cached in self.features[j + 1:]]) for k in range(len(live)))
                loss = loss_fn(features, j == last)
                backward(loss)
        self.batches, self.features = [], []
        return loss.detach()

