"""SimCSE (Gao et al., 2021): unsupervised (two dropout views of a sentence) and supervised (NLI entailment
positives, contradiction hard negatives) contrastive sentence embeddings."""
import numbers
from functools import partial
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from ..losses import grad_cache_backward
from ..registry import MODELS
from .embedding_modes import EmbeddingModes


@MODELS.register_module()
class SimCSE(EmbeddingModes, BaseModel):
    """Contrastive fine-tuning of a :class:`TextEncoder` with in-batch negatives.

    Inputs come from ``tokenize_collate``: one text column (``text``) means unsupervised SimCSE (the column is
    encoded twice, dropout making the views differ); ``anchor`` + ``positive`` (+ ``negative``) means supervised.

    Args:
        encoder: a ``TextEncoder`` config.
        loss: an ``InBatchInfoNCELoss`` config (SimCSE: temperature 0.05).
        mlp_head: a Linear + Tanh head on the embeddings during training (SimCSE's ``--pooler_type cls``).
        mlp_in_eval: keep the head at evaluation too. Upstream keeps it unless ``--mlp_only_train`` is given, i.e.
            for its supervised runs; its unsupervised runs drop it (False, the default).
        mini_batch_size: with a value, train with GradCache: the batch's loss and gradient are exact, but only this
            many rows are encoded with a graph at a time (a large batch of negatives in small memory).
        group_key: a row field holding an integer group (e.g. ``'document'``: the document a sentence comes from;
            ``'label'``: its class); other rows of a query's group are not used as its negatives (see
            ``InBatchInfoNCELoss``). None (default): every other row is a negative.
        data_preprocessor: mmengine data preprocessor (moves tensors to the device).
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, loss: dict = dict(type='InBatchInfoNCELoss', temperature=0.05),
                 mlp_head: bool = False, mini_batch_size: int = 0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, group_key: Optional[str] = None, mlp_in_eval: bool = False) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.criterion = MODELS.build(loss)
        dim = self.encoder.embedding_dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.Tanh()) if mlp_head else None
        if mlp_in_eval and not mlp_head:
            raise ValueError('SimCSE: mlp_in_eval=True needs mlp_head=True')
        self.mlp_in_eval = mlp_in_eval
        self.mini_batch_size = mini_batch_size
        self.group_key = group_key

    @property
    def has_own_train_step(self) -> bool:
        """True with GradCache: under DDP the ``OwnTrainStepDDP`` wrapper must then call :meth:`train_step`."""
        return bool(self.mini_batch_size)

    def embed(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Encoder output (B, D), through the MLP head while training (and in eval with ``mlp_in_eval``)."""
        embeddings = self.encoder(**tokens)
        use_mlp = self.mlp is not None and (self.training or self.mlp_in_eval)
        return self.mlp(embeddings) if use_mlp else embeddings

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: tokenised columns from ``tokenize_collate``.
            data_samples: the raw rows.
            mode: ``'loss'``; ``'predict'`` (pairs ``sentence1``/``sentence2``: adds ``similarity`` to each row; a
                ``text`` column: adds its ``embedding``);
                ``'tensor'`` (embeddings of the first column).

        Returns:
            ``dict(loss_contrastive, temperature)``, the rows with similarities, or embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.embedding_modes(inputs, data_samples, mode)

    @staticmethod
    def columns(inputs: Dict[str, Dict[str, torch.Tensor]]) -> Dict[str, Dict[str, torch.Tensor]]:
        """The columns to embed: ``text`` twice (unsupervised: two dropout views), or anchor/positive[/negative]."""
        if 'text' in inputs:
            return dict(query=inputs['text'], positive=inputs['text'])
        if 'anchor' in inputs and 'positive' in inputs:
            names = ['anchor', 'positive'] + (['negative'] if 'negative' in inputs else [])
            return {n: inputs[n] for n in names}
        raise KeyError(f'SimCSE: inputs need a "text" column (unsupervised) or "anchor" and "positive" '
                       f'(supervised); got {sorted(inputs)}')

    def groups(self, data_samples: Optional[Sequence[dict]]) -> Optional[torch.Tensor]:
        """The ``group_key`` field of each row as a tensor (None without ``group_key``)."""
        if self.group_key is None:
            return None
        bad = [i for i, row in enumerate(data_samples or [])
               if not isinstance(row.get(self.group_key), numbers.Integral)]
        if data_samples is None or bad:
            found = None if data_samples is None else data_samples[bad[0]].get(self.group_key)
            raise ValueError(f'SimCSE: group_key={self.group_key!r} needs an integer {self.group_key!r} field in '
                             f'every row; got {found!r}')
        return torch.tensor([int(row[self.group_key]) for row in data_samples])

    def contrastive_loss(self, embeddings: Dict[str, torch.Tensor],
                         groups: Optional[torch.Tensor] = None) -> torch.Tensor:
        """InfoNCE of embedded columns (as :meth:`columns` names them); ``groups`` as :meth:`groups` returns."""
        queries, positives, *rest = embeddings.values()
        loss = self.criterion(queries, positives, rest[0].unsqueeze(1) if rest else None,
                              **({} if groups is None else dict(groups=groups)))
        if not torch.isfinite(loss):
            raise FloatingPointError(f'SimCSE: the contrastive loss is {loss.item()}; lower the learning rate or '
                                     'check the inputs for empty batches')
        return loss

    def loss(self, inputs: Dict[str, Dict[str, torch.Tensor]],
             data_samples: Optional[Sequence[dict]] = None) -> Dict[str, torch.Tensor]:
        """InfoNCE of the batch (see the class docstring for the two data layouts)."""
        columns = self.columns(inputs)
        if 'query' in columns:  # one pass over both views, each row with its own dropout mask
            doubled = {k: torch.cat([v, v]) for k, v in columns['query'].items()}
            embeddings = dict(zip(('query', 'positive'), self.embed(doubled).chunk(2)))
        else:
            embeddings = {name: self.embed(tokens) for name, tokens in columns.items()}
        loss = self.contrastive_loss(embeddings, self.groups(data_samples))
        return dict(loss_contrastive=loss, temperature=1 / self.criterion.scale().detach())

    def train_step(self, data: dict, optim_wrapper) -> Dict[str, torch.Tensor]:
        """The Runner's training step; with ``mini_batch_size`` it runs GradCache instead of one backward pass."""
        if not self.mini_batch_size:
            return super().train_step(data, optim_wrapper)
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            loss_fn = partial(self.contrastive_loss, groups=self.groups(data.get('data_samples')))
            loss = grad_cache_backward(self.embed, self.columns(data['inputs']), loss_fn,
                                       self.mini_batch_size, optim_wrapper.backward)
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        columns = self.columns(data['inputs']).values()
        passes = sum(-(-next(iter(c.values())).shape[0] // self.mini_batch_size) for c in columns)
        return dict(loss=loss, loss_contrastive=loss, temperature=1 / self.criterion.scale().detach(),
                    grad_cache_passes=torch.tensor(float(passes)))
