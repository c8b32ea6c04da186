"""uCLIP's soft retrieval of pseudo embeddings from unpaired banks and its feature noise
(``uclip/extract_embedding.py::retrieve_embedding`` and ``uCLIP.forward`` of dinyudin203/uCLIP)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F

#: The released noise: ``--noise`` default ``0.004 ** 0.5``.
NOISE_STD = math.sqrt(0.004)


def soft_retrieve(query: torch.Tensor, bank: torch.Tensor, temperature: float = 0.01,
                  chunk_size: Optional[int] = None) -> torch.Tensor:
    """``normalize(softmax(normalize(q) normalize(B)^T / T) B)``: a similarity-weighted average of the bank.

    Args:
        query: (N, D) query embeddings (e.g. English caption embeddings).
        bank: (M, D) bank embeddings (unpaired images or multilingual texts); a memory-mapped array wrapped by
            ``torch.from_numpy`` works.
        temperature: softmax temperature (uCLIP: 0.01).
        chunk_size: score the bank in chunks of this many rows (an online softmax), so that a bank larger than
            memory streams from its memory map; None scores it at once.

    Returns:
        (N, D) unit-norm pseudo embeddings.
    """
    if query.shape[-1] != bank.shape[-1]:
        raise ValueError(f'soft_retrieve: queries have width {query.shape[-1]}, the bank {bank.shape[-1]}')
    query = F.normalize(query.float(), dim=-1)
    step = chunk_size or bank.shape[0]
    running_max = torch.full((query.shape[0], 1), -math.inf, device=query.device)
    weight_sum = torch.zeros(query.shape[0], 1, device=query.device)
    acc = torch.zeros(query.shape[0], bank.shape[1], device=query.device)
    for start in range(0, bank.shape[0], step):
        rows = F.normalize(bank[start:start + step].to(query.device, torch.float32), dim=-1)
        logits = query @ rows.t() / temperature
        new_max = torch.maximum(running_max, logits.max(dim=1, keepdim=True).values)
        rescale = torch.exp(running_max - new_max)
        weights = torch.exp(logits - new_max)
        weight_sum = weight_sum * rescale + weights.sum(dim=1, keepdim=True)
        acc = acc * rescale + weights @ rows
        running_max = new_max
    return F.normalize(acc / weight_sum, dim=-1)


def add_noise(x: torch.Tensor, std: float = NOISE_STD, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``normalize(x + N(0, std^2))``, uCLIP's robustness noise on every feature before the heads.

    Args:
        x: (N, D) features.
        std: noise standard deviation (uCLIP: sqrt(0.004)).
        generator: optional random generator.

    Returns:
        (N, D) unit-norm noisy features.
    """
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) if generator is not None \
        else torch.randn_like(x)
    return F.normalize(x + std * noise, dim=-1)
