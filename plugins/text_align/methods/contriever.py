"""Contriever (Izacard et al., 2022): unsupervised dense retrieval from independent crops, trained with MoCo."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel

from align_core.momentum import ema_update_
from align_core.momentum_queue import FeatureQueue
from ..losses import moco_infonce
from ..registry import MODELS
from .embedding_modes import EmbeddingModes


@MODELS.register_module()
class Contriever(EmbeddingModes, BaseModel):
    """Query encoder trained against a momentum key encoder and a queue of past keys.

    Args:
        encoder: a ``TextEncoder`` config (Contriever: mean pooling, no normalisation).
        queue_size: keys kept (131072 in the paper's script).
        momentum: EMA momentum of the key encoder (0.9995).
        temperature: softmax temperature (0.05).
        normalize: cosine instead of the dot product.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, queue_size: int = 131072, momentum: float = 0.9995, temperature: float = 0.05,
                 normalize: bool = False, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.key_encoder = copy.deepcopy(self.encoder).requires_grad_(False)
        self.queue = FeatureQueue(self.encoder.embedding_dim, queue_size)
        self.momentum, self.temperature, self.normalize = momentum, temperature, normalize

    def init_weights(self) -> None:
        """Initialise the query encoder, then start the key encoder as its copy."""
        super().init_weights()
        self.key_encoder.load_state_dict(self.encoder.state_dict())

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor'):
        """Args:
            inputs: ``query`` and ``key`` crops from ``independent_crops_collate`` (``loss``), or any tokenised
                column (``tensor``: its query-encoder embeddings).
            data_samples: the raw rows.
            mode: ``'loss'``, ``'predict'`` (a ``text`` column: adds each row's ``embedding``) or ``'tensor'``.

        Returns:
            ``dict(loss_moco, queue_filled)`` or embeddings.
        """
        if mode != 'loss':
            return self.embedding_modes(inputs, data_samples, mode)
        queries = self.encoder(**inputs['query'])
        with torch.no_grad():
            ema_update_(self.key_encoder, self.encoder, self.momentum)
            keys = self.key_encoder(**inputs['key'])
        loss = moco_infonce(queries, keys, self.queue, self.temperature, self.normalize)
        self.queue.enqueue(torch.nn.functional.normalize(keys, dim=-1) if self.normalize else keys)
        return dict(loss_moco=loss, queue_filled=self.queue.filled.float())
