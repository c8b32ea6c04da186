"""CCP (Wu et al., IJCAI 2022, "Contrastive Context Prediction"): sentences within a window of a centre sentence of
the same document are its positives; symmetric InfoNCE against in-batch and memory-bank negatives of the same
language; batch normalisation on one side of the pair only; whitening as the post-hoc calibration for retrieval.

The public repository (wuning0929/CCP_IJCAI22) has no pre-training code; the choices left open by the paper are
documented in configs/text/ccp/README.md.
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..evaluation.whitening import Whitening
from ..losses.language_bank import LanguageMemoryBank, language_infonce
from ..registry import MODELS
from .embedding_modes import EmbeddingModes


@MODELS.register_module()
class CCP(EmbeddingModes, BaseModel):
    """Context-prediction pre-training of a shared :class:`TextEncoder`.

    Args:
        encoder: a ``TextEncoder`` config.
        num_languages: languages of the data (``SentenceWindowPairs.languages``).
        bank_size: keys kept per language.
        temperature: InfoNCE temperature (cosine similarities).
        asymmetric_bn: ``'anchor'`` or ``'positive'``: the side whose embeddings pass through a BatchNorm1d while
            training (the other side is not normalised); None: no BN.
        symmetric: average the anchor->positive and positive->anchor InfoNCE.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, num_languages: int = 1, bank_size: int = 4096, temperature: float = 0.05,
                 asymmetric_bn: Optional[str] = 'anchor', symmetric: bool = True,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        if asymmetric_bn not in (None, 'anchor', 'positive'):
            raise ValueError(f"CCP: asymmetric_bn must be 'anchor', 'positive' or None, got {asymmetric_bn!r}")
        self.encoder = MODELS.build(encoder)
        dim = self.encoder.embedding_dim
        self.bn_side = asymmetric_bn
        self.bn = nn.BatchNorm1d(dim) if asymmetric_bn else None
        self.bank = LanguageMemoryBank(num_languages, bank_size, dim)
        self.whitening = Whitening(dim)
        self.temperature, self.symmetric = temperature, symmetric

    def side(self, tokens: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        """Training embeddings of one side of the pair (``'anchor'`` or ``'positive'``): BN on the chosen side."""
        embeddings = self.encoder(**tokens)
        return self.bn(embeddings) if self.bn is not None and name == self.bn_side else embeddings

    def embed(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Inference embeddings: the encoder's output, whitened once :meth:`fit_whitening` has run."""
        return self.whitening(self.encoder(**tokens))

    @torch.no_grad()
    def fit_whitening(self, embeddings: torch.Tensor) -> None:
        """Fit the whitening on (n, D) encoder outputs of a corpus (saved with the model's state dict)."""
        self.whitening.fit(embeddings)

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: ``anchor``/``positive`` columns (``'loss'``); for ``'predict'`` a ``text`` column (adds each
                row's ``embedding``) or ``sentence1``/``sentence2`` (adds ``similarity``); ``'tensor'``: embeddings.
            data_samples: rows; for ``'loss'`` each needs an integer ``language``.
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``dict(loss_contrastive)``, the rows with embeddings, or embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.embedding_modes(inputs, data_samples, mode)

    def loss(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: List[dict]) -> Dict[str, torch.Tensor]:
        """Symmetric same-language InfoNCE of the batch; the positives' normalised keys then enter the bank."""
        if 'anchor' not in inputs or 'positive' not in inputs:
            raise KeyError(f'CCP: inputs need "anchor" and "positive" columns; got {sorted(inputs)}')
        try:
            languages = torch.tensor([int(row['language']) for row in data_samples])
        except (KeyError, TypeError, ValueError):
            raise ValueError('CCP: every row needs an integer "language" (SentenceWindowPairs)') from None
        if int(languages.max()) >= self.bank.keys.shape[0]:
            raise ValueError(f'CCP: language {int(languages.max())} but num_languages={self.bank.keys.shape[0]}')
        anchors = self.side(inputs['anchor'], 'anchor')
        positives = self.side(inputs['positive'], 'positive')
        languages = languages.to(anchors.device)
        loss = language_infonce(anchors, positives, languages, self.bank, self.temperature, self.symmetric)
        self.bank.enqueue(F.normalize(positives.detach(), dim=-1), languages)
        return dict(loss_contrastive=loss)
