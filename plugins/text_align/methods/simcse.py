"""SimCSE (Gao et al., 2021): unsupervised (two dropout views of a sentence) and supervised (NLI entailment
positives, contradiction hard negatives) contrastive sentence embeddings."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class SimCSE(BaseModel):
    """Contrastive fine-tuning of a :class:`TextEncoder` with in-batch negatives.

    Inputs come from ``tokenize_collate``: one text column (``text``) means unsupervised SimCSE (the column is
    encoded twice, dropout making the views differ); ``anchor`` + ``positive`` (+ ``negative``) means supervised.

    Args:
        encoder: a ``TextEncoder`` config.
        loss: an ``InBatchInfoNCELoss`` config (SimCSE: temperature 0.05).
        mlp_head: SimCSE's ``mlp_only_train``: a Linear + Tanh head on the embeddings during training only.
        data_preprocessor: mmengine data preprocessor (moves tensors to the device).
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, loss: dict = dict(type='InBatchInfoNCELoss', temperature=0.05),
                 mlp_head: bool = False, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        dim = self.encoder.embedding_dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.Tanh()) if mlp_head else None

    def embed(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Encoder output (B, D), through the MLP head while training."""
        embeddings = self.encoder(**tokens)
        return self.mlp(embeddings) if self.mlp is not None and self.training else embeddings

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: tokenised columns from ``tokenize_collate``.
            data_samples: the raw rows.
            mode: ``'loss'``; ``'predict'`` (pairs ``sentence1``/``sentence2``: adds ``similarity`` to each row);
                ``'tensor'`` (embeddings of the first column).

        Returns:
            ``dict(loss_contrastive, temperature)``, the rows with similarities, or embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs)
        if mode == 'predict':
            first, second = (self.embed(inputs[c]) for c in ('sentence1', 'sentence2'))
            similarities = F.cosine_similarity(first, second, dim=-1)
            for sample, value in zip(data_samples, similarities):
                sample['similarity'] = float(value)
            return data_samples
        if mode == 'tensor':
            return self.embed(next(iter(inputs.values())))
        raise ValueError(f'SimCSE: unknown mode {mode!r}')

    def loss(self, inputs: Dict[str, Dict[str, torch.Tensor]]) -> Dict[str, torch.Tensor]:
        """InfoNCE of the batch (see the class docstring for the two data layouts)."""
        if 'text' in inputs:
            tokens = inputs['text']
            doubled = {k: torch.cat([v, v]) for k, v in tokens.items()}  # one pass, two dropout masks
            queries, positives = self.embed(doubled).chunk(2)
            negatives = None
        elif 'anchor' in inputs and 'positive' in inputs:
            queries, positives = self.embed(inputs['anchor']), self.embed(inputs['positive'])
            negatives = self.embed(inputs['negative']).unsqueeze(1) if 'negative' in inputs else None
        else:
            raise KeyError(f'SimCSE: inputs need a "text" column (unsupervised) or "anchor" and "positive" '
                           f'(supervised); got {sorted(inputs)}')
        loss = self.criterion(queries, positives, negatives)
        if not torch.isfinite(loss):
            raise FloatingPointError(f'SimCSE: the contrastive loss is {loss.item()}; lower the learning rate or '
                                     'check the inputs for empty batches')
        return dict(loss_contrastive=loss, temperature=1 / self.criterion.scale().detach())
