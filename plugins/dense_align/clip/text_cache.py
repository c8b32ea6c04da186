"""Caches class text embeddings at inference; recomputes them when the class list or any weight changes."""
from typing import Callable, Optional, Sequence, Tuple

import torch
from torch import nn


class TextEmbeddingCache:
    """Holds the last computed text embeddings and the state they were computed from.

    The state is the class-name list plus, for every parameter and buffer of the given modules, its storage and
    its version counter, which every in-place update (optimizer step, ``load_state_dict``) increments. While
    gradients are needed (training) nothing is cached.
    """

    def __init__(self) -> None:
        self._key: Optional[Tuple] = None
        self._value: Optional[torch.Tensor] = None
        self.computations = 0

    @staticmethod
    def _state(modules: Sequence[nn.Module], class_names: Sequence[str]) -> Tuple:
        tensors = [t for m in modules for t in list(m.parameters()) + list(m.buffers())]
        return (tuple(class_names), tuple((t.data_ptr(), t._version, t.dtype, t.device) for t in tensors))

    def get(self, modules: Sequence[nn.Module], class_names: Sequence[str],
            compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Return cached embeddings if nothing changed, else ``compute()`` (cached when no gradient is needed).

        Args:
            modules: the modules the embeddings depend on (text encoder, prompt learner, ...).
            class_names: the class list the embeddings are for.
            compute: computes the embeddings.

        Returns:
            The text embeddings.
        """
        needs_grad = torch.is_grad_enabled() and any(p.requires_grad for m in modules for p in m.parameters())
        if needs_grad:
            self._key = self._value = None
            self.computations += 1
            return compute()
        key = self._state(modules, class_names)
        if key != self._key:
            self.computations += 1
            self._value, self._key = compute().detach(), key
        return self._value
