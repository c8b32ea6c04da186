"""Mixture-of-experts sentence embeddings with enforced routing (Hallee et al.): each feed-forward block of the
last transformer layers is copied into one expert per domain, and every example goes to its domain's expert."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS


class DomainRouting:
    """The domain of each example of the current batch (a tensor), or of all of them (an int), shared by the routed
    blocks of one model."""

    def __init__(self) -> None:
        self.domains: Optional[Union[torch.Tensor, int]] = None


class RoutedFeedForward(nn.Module):
    """Runs each example through the copy (expert) of a block that its domain selects.

    Args:
        block: the original block (``BertIntermediate`` or ``BertOutput``-like: first argument batch-major).
        num_experts: copies, one per domain; all start equal to ``block``.
        routing: where the batch's domains are read.
    """

    def __init__(self, block: nn.Module, num_experts: int, routing: DomainRouting) -> None:
        super().__init__()
        self.experts = nn.ModuleList(copy.deepcopy(block) for _ in range(num_experts))
        self.routing = routing

    def forward(self, hidden: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        domains = self.routing.domains
        if isinstance(domains, int):
            return self.experts[domains](hidden, *args)
        if domains is None or domains.shape[0] != hidden.shape[0]:
            raise RuntimeError('RoutedFeedForward: the batch has no domain ids (set them with DomainExpertEncoder)')
        out = None
        for index, expert in enumerate(self.experts):
            # an expert with no row still runs (on zero rows): its parameters then get a zero gradient, which DDP
            # needs (a parameter without a gradient makes it fail at the next iteration)
            rows = (domains == index).nonzero(as_tuple=True)[0]
            result = expert(hidden[rows], *(a[rows] for a in args))
            if out is None:
                out = result.new_zeros((hidden.shape[0], ) + result.shape[1:])
            out[rows] = result
        return out


@MODELS.register_module()
class DomainExpertEncoder(BaseModel):
    """A ``TextEncoder`` whose last ``num_moe_layers`` feed-forward blocks become one expert per domain, trained
    with the multiple-negatives ranking loss on in-domain pairs. One model serves all domains.

    Inputs come from ``tokenize_collate``; each pair is routed by its row's ``domain`` (a name or an index into
    ``domains``) or, without one, by the ``[NAME]`` domain token that starts its anchor text.

    Args:
        encoder: a ``TextEncoder`` config (a BERT-style model whose layers have ``intermediate`` and ``output``).
        domains: domain names, one expert each.
        num_moe_layers: how many of the last layers get experts (the paper: one layer gives most of the gain).
        loss: an ``InBatchInfoNCELoss`` config (MNR: temperature 0.05).
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, domains: Sequence[str], num_moe_layers: int = 1,
                 loss: dict = dict(type='InBatchInfoNCELoss', temperature=0.05),
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        self.domains = list(domains)
        if len(self.domains) < 2:
            raise ValueError(f'DomainExpertEncoder: needs at least 2 domains, got {self.domains}')
        layers = getattr(getattr(self.encoder.backbone, 'encoder', None), 'layer', None)
        if layers is None or not all(hasattr(l, 'intermediate') and hasattr(l, 'output') for l in layers):
            raise TypeError(f'DomainExpertEncoder: {type(self.encoder.backbone).__name__} has no BERT-style '
                            'encoder.layer[i].intermediate / .output blocks to copy into experts')
        if not 1 <= num_moe_layers <= len(layers):
            raise ValueError(f'DomainExpertEncoder: num_moe_layers must be in [1, {len(layers)}], got {num_moe_layers}')
        self.routing = DomainRouting()
        for layer in list(layers)[-num_moe_layers:]:
            layer.intermediate = RoutedFeedForward(layer.intermediate, len(self.domains), self.routing)
            layer.output = RoutedFeedForward(layer.output, len(self.domains), self.routing)

    def embed(self, tokens: Dict[str, torch.Tensor], domains: torch.Tensor) -> torch.Tensor:
        """Embeddings of a batch whose rows belong to ``domains`` (indices)."""
        self.routing.domains = domains.long().to(tokens['input_ids'].device)
        try:
            return self.encoder(**tokens)
        finally:
            self.routing.domains = None

    def domain_ids(self, data_samples: List[dict]) -> torch.Tensor:
        """Each row's domain index: its ``domain`` field (a name or an index), or else the domain token that starts
        its ``anchor`` text (``[NAME] ...``, the paper's enforced routing by special token)."""
        ids = []
        for row in data_samples:
            value = row.get('domain')
            if value is None:
                text = str(row.get('anchor', ''))
                value = text[1:text.index(']')] if text.startswith('[') and ']' in text else None
            if value is None:
                raise ValueError(f'DomainExpertEncoder: row has no domain field and no leading [DOMAIN] token: {row}')
            if isinstance(value, str) and not value.lstrip('-').isdigit():
                index = self.domains.index(value) if value in self.domains else -1
            else:
                index = int(value)
            if not 0 <= index < len(self.domains):
                raise ValueError(f'DomainExpertEncoder: domain {value!r} is not one of {self.domains}')
            ids.append(index)
        return torch.tensor(ids)

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor'):
        """Args:
            inputs: ``anchor`` and ``positive`` token columns.
            data_samples: rows with ``domain``.
            mode: ``'loss'`` or ``'tensor'`` (anchor embeddings).

        Returns:
            ``dict(loss_mnr)`` or embeddings.
        """
        domains = self.domain_ids(data_samples)
        if mode == 'tensor':
            return self.embed(next(iter(inputs.values())), domains)
        if mode != 'loss':
            raise ValueError(f'DomainExpertEncoder: mode must be "loss" or "tensor", got {mode!r}')
        anchors, positives = self.embed(inputs['anchor'], domains), self.embed(inputs['positive'], domains)
        return dict(loss_mnr=self.criterion(anchors, positives))

    def encode(self, sentences: Sequence[str], domain: str, **kwargs):
        """Embed sentences of one domain with :meth:`TextEncoder.encode` (same arguments and outputs), every batch
        routed to that domain's expert."""
        if domain not in self.domains:
            raise ValueError(f'DomainExpertEncoder: unknown domain {domain!r}; expected one of {self.domains}')
        self.routing.domains = self.domains.index(domain)
        try:
            return self.encoder.encode(sentences, **kwargs)
        finally:
            self.routing.domains = None
