"""SupReMix: supervised contrastive regression with mixture hard pairs (``SupReMixLoss``) on a text encoder, with a
plain MSE objective as the baseline it is compared with."""
import math
import numbers
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS
from .embedding_modes import EmbeddingModes

OBJECTIVES = ('contrastive', 'mse')
INPUT_MODES = ('single', 'document_pairs')


def pair_features(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Symmetric embedding of a text pair: the elementwise product of the L2-normalised embeddings (its sum is the
    cosine, so a linear head on it can express cosine similarity).

    Args:
        first: (P, D).
        second: (P, D).

    Returns:
        (P, D).
    """
    return F.normalize(first, dim=-1) * F.normalize(second, dim=-1)


@MODELS.register_module()
class SupReMix(EmbeddingModes, BaseModel):
    """Regression-aware fine-tuning of a :class:`TextEncoder`.

    Two layouts of the rows (``tokenize_collate`` with ``columns=('text',)``):

    - ``'single'``: each row is a sample with a numeric ``label_key`` field; its embedding is the encoder's output.
    - ``'document_pairs'``: each row is a document with ``doc_id`` and ``scores`` (its target against every document
      id, NaN where unknown, e.g. ``LeeDocumentRegression``); the samples are the pairs of documents in the batch,
      embedded by :func:`pair_features`, labelled ``scores[doc_id]``; pairs with a NaN score are skipped.

    Args:
        encoder: a ``TextEncoder`` config.
        loss: a ``SupReMixLoss`` config (objective ``'contrastive'``).
        objective: ``'contrastive'`` (the loss above) or ``'mse'``: the baseline, mean squared error of the pair
            cosine (``document_pairs``, as sentence-transformers' CosineSimilarityLoss) or of a linear head
            (``single``) against the label.
        input_mode: ``'single'`` or ``'document_pairs'``.
        label_key: the label field of ``'single'`` rows.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, loss: dict = dict(type='SupReMixLoss'), objective: str = 'contrastive',
                 input_mode: str = 'single', label_key: str = 'label', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        if objective not in OBJECTIVES:
            raise ValueError(f'SupReMix: objective must be one of {OBJECTIVES}, got {objective!r}')
        if input_mode not in INPUT_MODES:
            raise ValueError(f'SupReMix: input_mode must be one of {INPUT_MODES}, got {input_mode!r}')
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        self.objective, self.input_mode, self.label_key = objective, input_mode, label_key
        self.head = nn.Linear(self.encoder.embedding_dim, 1) if objective == 'mse' and input_mode == 'single' else None

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: ``dict(text=tokens)`` from ``tokenize_collate``.
            data_samples: the rows.
            mode: ``'loss'``, ``'predict'`` (adds ``embedding`` to each row) or ``'tensor'`` (embeddings).

        Returns:
            ``dict(loss_regression, ...)``, the rows, or (B, D) embeddings.
        """
        if 'text' not in inputs:
            raise KeyError(f'SupReMix: inputs need a "text" column, got {sorted(inputs)}')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.embedding_modes(inputs, data_samples, mode)

    def single_labels(self, data_samples: Optional[Sequence[dict]], device: torch.device) -> torch.Tensor:
        """The ``label_key`` of every row as a float tensor; a missing or non-numeric label names the row."""
        labels = []
        for i, row in enumerate(data_samples or []):
            value = row.get(self.label_key) if isinstance(row, dict) else None
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(float(value)):
                where = f'sample_idx={row["sample_idx"]}' if isinstance(row, dict) and 'sample_idx' in row else ''
                raise ValueError(f'SupReMix: row {i} of the batch ({where or "no sample_idx"}) has no numeric '
                                 f'{self.label_key!r} label (got {value!r}); every regression sample needs one')
            labels.append(float(value))
        return torch.tensor(labels, device=device)

    @staticmethod
    def document_pairs(data_samples: Sequence[dict]) -> Tuple[List[Tuple[int, int]], List[float]]:
        """In-batch document pairs (row indices a < b) with a known score, and the scores."""
        for i, row in enumerate(data_samples):
            if not isinstance(row.get('doc_id'), numbers.Integral) or not isinstance(row.get('scores'), (list, tuple)):
                raise ValueError(f'SupReMix: document_pairs row {i} needs an integer "doc_id" and a "scores" list '
                                 f'(got keys {sorted(row)})')
        pairs, labels = [], []
        for a in range(len(data_samples)):
            for b in range(a + 1, len(data_samples)):
                scores = data_samples[a]['scores']
                doc = data_samples[b]['doc_id']
                if doc >= len(scores):
                    raise ValueError(f'SupReMix: row {a} has {len(scores)} scores but row {b} is document {doc}')
                value = float(scores[doc])
                if not math.isnan(value):
                    pairs.append((a, b))
                    labels.append(value)
        return pairs, labels

    def loss(self, inputs: Dict[str, Dict[str, torch.Tensor]],
             data_samples: Optional[Sequence[dict]] = None) -> Dict[str, torch.Tensor]:
        """The objective of the batch (see the class docstring)."""
        embeddings = self.encoder(**inputs['text'])
        if self.input_mode == 'single':
            labels = self.single_labels(data_samples, embeddings.device)
            if self.objective == 'mse':
                return dict(loss_regression=F.mse_loss(self.head(embeddings).squeeze(-1), labels))
            return dict(loss_regression=self.criterion(embeddings, labels))
        pairs, values = self.document_pairs(data_samples or [])
        if not pairs:
            raise ValueError(f'SupReMix: a batch of {embeddings.shape[0]} documents holds no scored pair')
        index = torch.tensor(pairs, device=embeddings.device)
        labels = torch.tensor(values, device=embeddings.device, dtype=embeddings.dtype)
        first, second = embeddings[index[:, 0]], embeddings[index[:, 1]]
        if self.objective == 'mse':
            return dict(loss_regression=F.mse_loss(F.cosine_similarity(first, second, dim=-1), labels))
        return dict(loss_regression=self.criterion(pair_features(first, second), labels))
