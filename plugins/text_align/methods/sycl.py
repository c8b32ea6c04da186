"""SyCL (Findings of EMNLP 2025, "Beyond Contrastive Learning"): a bi-encoder trained on graded relevance lists with
a list-wise Wasserstein loss (``WS2Loss``), or, as the baseline, InfoNCE on the binary labels of the same lists."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from ..registry import MODELS
from .embedding_modes import EmbeddingModes


@MODELS.register_module()
class SyCL(EmbeddingModes, BaseModel):
    """Bi-encoder on ``graded_list_collate`` batches.

    Scores are dot products of query and passage embeddings (trove's default similarity), every query against every
    passage of the batch (of this process): ``logits`` (B, B*G). With ``WS2Loss`` the other queries' passages get
    grade 0 in the target (the released ``block_diag``); with ``InBatchInfoNCELoss`` (the binary baseline) the
    first passage of the highest grade is the positive and the query's other passages its hard negatives.

    Args:
        encoder: a ``TextEncoder`` config (SyCL: contriever, mean pooling, no normalisation).
        loss: ``WS2Loss`` or ``InBatchInfoNCELoss`` config.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, loss: dict = dict(type='WS2Loss', temperature=1.0),
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        self.listwise = type(self.criterion).__name__ == 'WS2Loss'

    def forward(self, inputs: Dict[str, Union[Dict[str, torch.Tensor], torch.Tensor]],
                data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: ``graded_list_collate`` output (``'loss'``), or a ``text`` column (``'predict'``: adds each row's
                ``embedding``, for ``RetrievalMetric``; ``'tensor'``: the embeddings).
            data_samples: the raw rows.
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``dict(loss_listwise | loss_contrastive)``, the rows with embeddings, or embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs)
        return self.embedding_modes(inputs, data_samples, mode)

    def loss(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """The list-wise (or binary InfoNCE) loss of a batch of graded lists."""
        for key in ('query', 'passages', 'grades'):
            if key not in inputs:
                raise KeyError(f'SyCL: inputs need "query", "passages" and "grades" (graded_list_collate); '
                               f'got {sorted(inputs)}')
        grades = inputs['grades']
        b, g = grades.shape
        queries = self.encoder(**inputs['query'])
        passages = self.encoder(**inputs['passages'])
        if passages.shape[0] != b * g:
            raise ValueError(f'SyCL: {passages.shape[0]} passages for {b} queries x group {g}')
        if self.listwise:
            return dict(loss_listwise=self.criterion(queries @ passages.t(), grades).float())
        grouped = passages.view(b, g, -1)
        top = grades.argmax(dim=1)  # first passage of the highest grade
        keep = torch.ones(b, g, dtype=torch.bool, device=grades.device)
        keep[torch.arange(b), top] = False
        negatives = grouped[keep].view(b, g - 1, -1)
        return dict(loss_contrastive=self.criterion(queries, grouped[torch.arange(b), top], negatives))
