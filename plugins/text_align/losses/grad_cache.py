"""GradCache (Gao et al., 2021): the gradient of a contrastive loss over a large batch, computed in mini-batches so
that only one mini-batch's activations are in memory (sentence-transformers' "Cached" losses)."""
from typing import Callable, Dict, List, Tuple

import torch

Tokens = Dict[str, torch.Tensor]


def _chunks(tokens: Tokens, size: int) -> List[Tokens]:
    total = next(iter(tokens.values())).shape[0]
    return [{k: v[i:i + size] for k, v in tokens.items()} for i in range(0, total, size)]


def _rng_state() -> Tuple:
    return torch.get_rng_state(), torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None


def _set_rng_state(state: Tuple) -> None:
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state_all(state[1])


def grad_cache_backward(embed: Callable[[Tokens], torch.Tensor], columns: Dict[str, Tokens],
                        loss_fn: Callable[[Dict[str, torch.Tensor]], torch.Tensor], mini_batch_size: int,
                        backward: Callable[[torch.Tensor], None]) -> torch.Tensor:
    """Accumulate into the encoder's parameters the gradient of ``loss_fn`` over the full batch.

    1. Embed every column in mini-batches without a graph, remembering each mini-batch's random state.
    2. Compute the loss on those embeddings and its gradient with respect to them.
    3. Re-embed each mini-batch with a graph under the same random state (same dropout masks) and back-propagate
       ``sum(embedding * cached gradient)``.

    Args:
        embed: tokens -> (b, D) embeddings (the trained encoder).
        columns: tokenised columns of the full batch.
        loss_fn: embeddings per column -> scalar loss.
        mini_batch_size: rows per forward pass.
        backward: how to back-propagate a scalar (``optim_wrapper.backward``, which handles AMP loss scaling).

    Returns:
        The (detached) loss.
    """
    states: Dict[str, List[Tuple]] = {}
    cached: Dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, tokens in columns.items():
            states[name], parts = [], []
            for chunk in _chunks(tokens, mini_batch_size):
                states[name].append(_rng_state())
                parts.append(embed(chunk))
            cached[name] = torch.cat(parts).requires_grad_(True)
    loss = loss_fn(cached)
    gradients = torch.autograd.grad(loss, list(cached.values()))
    after = _rng_state()
    for (name, tokens), gradient in zip(columns.items(), gradients):
        start = 0
        for chunk, state in zip(_chunks(tokens, mini_batch_size), states[name]):
            _set_rng_state(state)
            embeddings = embed(chunk)
            backward((embeddings * gradient[start:start + embeddings.shape[0]]).sum())
            start += embeddings.shape[0]
    _set_rng_state(after)
    return loss.detach()
