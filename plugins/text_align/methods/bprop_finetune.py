"""B-PROP fine-tuned as a re-ranker: a cross-encoder scoring ``[CLS] query [SEP] document [SEP]`` with a linear
layer on the dropped-out pooled [CLS] (the head of the released ``PROP`` model), trained on groups of a positive and
negatives with a pairwise or listwise ranking loss."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from ..losses.ranking import listwise_softmax_loss, pairwise_softmax_margin_loss
from ..registry import MODELS


@MODELS.register_module()
class CrossEncoderReranker(BaseModel):
    """Args:
        model_path: a BERT-style model folder (e.g. one written by ``export_bprop_encoder``) or ``shipped:<name>``.
        loss: ``'pairwise'`` (the positive against each negative, softmaxed pair + margin ranking, as B-PROP's
            ROP loss) or ``'listwise'`` (softmax cross-entropy over the group, the positive the target).
        margin: margin of the pairwise loss.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, model_path: str, loss: str = 'pairwise', margin: float = 1.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        if loss not in ('pairwise', 'listwise'):
            raise ValueError(f'CrossEncoderReranker: loss must be "pairwise" or "listwise", got {loss!r}')
        from transformers import AutoModel

        from ..encoders.text_encoder import resolve_model_path
        self.bert = AutoModel.from_pretrained(resolve_model_path(model_path), local_files_only=True)
        hidden = self.bert.config.hidden_size
        self.dropout = nn.Dropout(self.bert.config.hidden_dropout_prob)
        self.rep = nn.Linear(hidden, 1)
        self.loss_type, self.margin = loss, margin

    def scores(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Relevance scores (N,) of tokenised (query, document) pairs."""
        return self.rep(self.dropout(self.bert(**tokens).pooler_output)).squeeze(-1)

    def forward(self, inputs: dict, data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """``'loss'``: ``cross_encoder_collate`` training groups -> ``dict(loss_rank)``; ``'predict'``: each row gets
        its ``score``; ``'tensor'``: the scores."""
        scores = self.scores(inputs['pairs'])
        if mode == 'loss':
            rows = len(data_samples) if data_samples else 0
            if not rows or scores.shape[0] % rows or scores.shape[0] // rows < 2:
                raise ValueError(f'CrossEncoderReranker: {scores.shape[0]} sequences for {rows} rows; training needs '
                                 'groups of a positive and >= 1 negative per row (cross_encoder_collate)')
            grouped = scores.view(rows, -1)
            if self.loss_type == 'pairwise':
                return dict(loss_rank=pairwise_softmax_margin_loss(grouped, self.margin))
            return dict(loss_rank=listwise_softmax_loss(grouped))
        if mode == 'predict':
            for row, value in zip(data_samples, scores):
                row['score'] = float(value)
            return data_samples
        if mode == 'tensor':
            return scores
        raise ValueError(f'CrossEncoderReranker: unknown mode {mode!r}')
