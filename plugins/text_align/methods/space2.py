"""SPACE-2 (He et al., COLING 2022): tree-structured semi-supervised contrastive pre-training of a dialog encoder.

Every step holds a labelled and an unlabelled batch (``SemiSupervisedBatchSampler`` + ``dialog_collate``). Each batch
is encoded twice (two dropout views), the sentence vectors are projected into one subspace per tree view
(``SubspaceProjection``) and L2-normalised; per view a soft SupCon loss (``SoftSupConLoss``) uses that view's score
matrix as the positive weights (labelled batch) or the identity (unlabelled batch: each turn's other dropout view is
its positive); the losses are averaged over the views. Each batch adds ``mlm_weight`` x a token-level MLM loss, and
the labelled and unlabelled losses are summed into one optimizer step (released ``trainers/trainer.py``).
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS
from .embedding_modes import EmbeddingModes

GROUPS = ('labelled', 'unlabelled')


@MODELS.register_module()
class SPACE2(EmbeddingModes, BaseModel):
    """SPACE-2 pre-training of a :class:`TextEncoder` (any local transformers encoder).

    Args:
        encoder: a ``TextEncoder`` config; its pooled vector is the turn's feature (SPACE-2: the [CLS]-position
            latent token, i.e. ``pooling='cls'``).
        loss: a ``SoftSupConLoss`` config (temperature and base temperature 0.07).
        subspace_dim: width of each view subspace (None: the encoder width, as released).
        views: the trained views (``trigger_subspaces``; None: all 10).
        mlm_weight: weight of the MLM loss (``mlm_ratio`` 0.1); 0 turns MLM off.
        use_labels: False ignores the trees (the labelled batch gets the self-supervised loss too): the
            "self-supervised only" ablation.
        dropout: set every dropout of the transformer to this rate (SPACE-2: 0.2); None keeps the model's.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, loss: dict = dict(type='SoftSupConLoss', temperature=0.07,
                                                        base_temperature=0.07),
                 subspace_dim: Optional[int] = None, views: Optional[Sequence[str]] = None, mlm_weight: float = 0.1,
                 use_labels: bool = True, dropout: Optional[float] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        hidden = self.encoder.embedding_dim
        self.subspace = MODELS.build(dict(type='SubspaceProjection', hidden_dim=hidden, subspace_dim=subspace_dim,
                                          views=views))
        self.mlm_weight, self.use_labels = mlm_weight, use_labels
        if dropout is not None:
            for module in self.encoder.backbone.modules():
                if isinstance(module, nn.Dropout):
                    module.p = dropout
        if mlm_weight:
            width = self.encoder.backbone.config.hidden_size
            self.mlm_transform = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.LayerNorm(width, eps=1e-12))
            self.mlm_bias = nn.Parameter(torch.zeros(self.encoder.backbone.get_input_embeddings().num_embeddings))

    def features(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Two dropout views of each row, projected and normalised: (B, 2, V, subspace_dim)."""
        doubled = {k: torch.cat([v, v]) for k, v in tokens.items()}
        projected = self.subspace(self.encoder(**doubled))
        first, second = projected.chunk(2)
        return F.normalize(torch.stack([first, second], dim=1), dim=-1)

    def contrastive_loss(self, features: torch.Tensor, scores: Optional[torch.Tensor]) -> torch.Tensor:
        """Mean over the views of the soft SupCon loss with each view's (B, B) score matrix (None: identity)."""
        views = features.shape[2]
        return sum(self.criterion(features[:, :, v], None if scores is None else scores[v])
                   for v in range(views)) / views

    def mlm_loss(self, tokens: Dict[str, torch.Tensor], mlm: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Token-level MLM: mean cross-entropy over the predicted tokens (released ``token_loss=true``); the decoder
        is the transposed input embedding matrix plus a bias."""
        extra = {k: v for k, v in tokens.items() if k not in ('input_ids', 'attention_mask')}
        hidden = self.encoder.backbone(input_ids=mlm['input_ids'], attention_mask=tokens['attention_mask'],
                                       **extra).last_hidden_state
        selected = mlm['labels'] != -100
        if not selected.any():  # keep every parameter in the graph (DDP) with a zero loss
            return 0.0 * (self.mlm_transform(hidden[:, :1]).sum() + self.mlm_bias.sum())
        states = self.mlm_transform(hidden[selected])
        logits = states @ self.encoder.backbone.get_input_embeddings().weight.T + self.mlm_bias
        return F.cross_entropy(logits, mlm['labels'][selected])

    def loss(self, inputs: Dict[str, object], data_samples: Optional[Sequence[dict]] = None) -> Dict[str, torch.Tensor]:
        """Losses of the labelled and the unlabelled batch; mmengine sums the ``loss_*`` entries.

        Raises:
            KeyError: the inputs hold neither group (they come from ``dialog_collate``).
        """
        present = [g for g in GROUPS if g in inputs]
        if not present:
            raise KeyError(f'SPACE2: inputs need a "labelled" and/or "unlabelled" group from dialog_collate; got '
                           f'{sorted(inputs)}')
        losses = {}
        for group in present:
            scores = None
            if group == 'labelled' and self.use_labels:
                scores = inputs['scores'][self.subspace.view_indices]
            features = self.features(inputs[group])
            losses[f'loss_con_{group}'] = self.contrastive_loss(features, scores)
            if self.mlm_weight:
                losses[f'loss_mlm_{group}'] = self.mlm_weight * self.mlm_loss(inputs[group], inputs[f'{group}_mlm'])
        return losses

    def forward(self, inputs: Dict[str, object], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: ``dialog_collate`` output (``'loss'``), or tokens with a ``text`` column (``tokenize_collate``).
            data_samples: the rows.
            mode: ``'loss'``; ``'predict'`` (adds the ``embedding`` of each row's text); ``'tensor'`` (the
                encoder's vectors of the first column).

        Returns:
            Losses, rows, or (B, H) vectors.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.embedding_modes(inputs, data_samples, mode)
