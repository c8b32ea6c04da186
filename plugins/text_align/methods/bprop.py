"""B-PROP (Ma et al., SIGIR 2021): re-training BERT with representative-words prediction (ROP) and MLM, as the
released ``PROP`` model (Albert-Ma/PROP ``pytorch_pretrain_bert/modeling.py``): a Linear(hidden, 1) on the dropped-out
pooled [CLS] of ``[CLS] word set [SEP] document [SEP]``, the pair's two scores softmaxed, margin ranking loss
(margin 1) with the positive first, plus the MLM loss."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class BPROP(BaseModel):
    """Args:
        model_path: a BERT model folder (loaded as ``BertForPreTraining``: encoder, pooler and MLM head; heads
            missing from the folder start random).
        mlm_weight: weight of the MLM loss (released: 1).
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, model_path: str, mlm_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        from transformers import BertForPreTraining

        from ..encoders.text_encoder import resolve_model_path
        self.bert = BertForPreTraining.from_pretrained(resolve_model_path(model_path), local_files_only=True)
        self.bert.cls.seq_relationship.requires_grad_(False)  # the NSP head is unused (no unused grads under DDP)
        hidden = self.bert.config.hidden_size
        self.dropout = nn.Dropout(self.bert.config.hidden_dropout_prob)
        self.rep = nn.Linear(hidden, 1)
        self.mlm_weight = mlm_weight
        self.model_path = model_path

    def save_encoder(self, folder: str) -> str:
        """Write the re-trained BERT encoder (with its pooler, without the ROP/MLM heads) and the tokenizer as a
        transformers model folder, the ``model_path`` of a ``CrossEncoderReranker`` or a ``TextEncoder`` for
        fine-tuning.

        Args:
            folder: output folder (created).

        Returns:
            ``folder``.
        """
        from transformers import AutoTokenizer

        from ..encoders.text_encoder import resolve_model_path
        self.bert.bert.save_pretrained(folder)
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(self.model_path), local_files_only=True)
        tokenizer.save_pretrained(folder)
        return folder

    def scores(self, tokens: Dict[str, torch.Tensor]) -> tuple:
        """ROP scores (N,) of (word set, document) sequences and the sequence output."""
        out = self.bert.bert(**tokens)
        return self.rep(self.dropout(out.pooler_output)).squeeze(-1), out.last_hidden_state

    def forward(self, inputs: dict, data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], torch.Tensor]:
        """``'loss'``: ``bprop_collate`` inputs -> ``dict(loss_rop, loss_mlm)``; ``'tensor'``: ROP scores of
        ``inputs['pairs']``."""
        if mode == 'loss':
            return self.loss(inputs)
        if mode == 'tensor':
            return self.scores(inputs['pairs'])[0]
        raise ValueError(f'BPROP: unknown mode {mode!r}')

    def loss(self, inputs: dict) -> Dict[str, torch.Tensor]:
        scores, sequence = self.scores(inputs['pairs'])
        if scores.shape[0] % 2:
            raise ValueError(f'BPROP: {scores.shape[0]} sequences; they must come as (positive, negative) pairs')
        probs = F.softmax(scores.view(-1, 2), dim=1)
        rop = F.margin_ranking_loss(probs[:, 0], probs[:, 1], torch.ones_like(probs[:, 0]), margin=1.0)
        labels = inputs['mlm_labels']
        keep = labels != -100  # the head runs on the predicted tokens only (per-token: the same loss, less work)
        mlm_logits = self.bert.cls.predictions(sequence[keep])
        # no predicted token: a zero that still reaches the head (under DDP every rank needs its gradient)
        mlm = F.cross_entropy(mlm_logits, labels[keep]) if keep.any() else mlm_logits.sum() * 0.0
        return dict(loss_rop=rop, loss_mlm=self.mlm_weight * mlm)
