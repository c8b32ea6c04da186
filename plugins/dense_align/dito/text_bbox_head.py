"""The Fast R-CNN box head of DITO: shared FCs -> a projection into the text space; classes are scored by cosine
similarity with class-name embeddings over a temperature, plus a learned background embedding."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import nn

from ..registration import register_model


@register_model(into=('mmdet', ))
class DITOTextBBoxHead(Shared2FCBBoxHead):
    """``Shared2FCBBoxHead`` whose classifier is ``cos(text_proj(region), [class embeddings; background]) / T``.

    The same head serves pre-training (``region_embed`` only; build it with ``with_reg=False``) and detection, so
    the pre-trained ``shared_fcs`` and ``text_proj`` load into the detector key by key. The class embeddings are set
    by the detector (:meth:`set_class_embeddings`), which also sets ``num_classes`` (training and test vocabularies
    may differ); box regression is class-agnostic (released: ``class_box_regression`` off).

    Args:
        text_dim: width of the text embeddings D.
        temperature: logits are cosine / temperature (released: ``TEMP = 0.01``).
        with_background_embed: learn a background embedding (detection); pre-training needs none.
        **kwargs: ``Shared2FCBBoxHead`` arguments (``with_cls`` is implied).
    """

    def __init__(self, text_dim: int, temperature: float = 0.01, with_background_embed: bool = True,
                 **kwargs) -> None:
        kwargs.pop('with_cls', None)
        kwargs.setdefault('reg_class_agnostic', True)
        if kwargs.get('init_cfg') is None:
            kwargs['init_cfg'] = [dict(type='Xavier', distribution='uniform',
                                       override=[dict(name='shared_fcs'), dict(name='text_proj')]),
                                  dict(type='Normal', std=0.001, override=dict(name='fc_reg'))]
            if not kwargs.get('with_reg', True):
                kwargs['init_cfg'] = kwargs['init_cfg'][:1]
        super().__init__(with_cls=True, **kwargs)
        del self.fc_cls  # scores come from the text classifier below
        self.temperature = temperature
        self.text_proj = nn.Linear(self.cls_last_dim, text_dim)
        self.background_embed = nn.Parameter(torch.randn(text_dim) * text_dim**-0.5) if with_background_embed \
            else None
        self.class_embeddings: Optional[torch.Tensor] = None

    def set_class_embeddings(self, embeddings: torch.Tensor) -> None:
        """Set the (K, D) class-name embeddings scored by :meth:`forward` and ``num_classes = K``."""
        self.class_embeddings = embeddings
        self.num_classes = embeddings.shape[0]

    def region_embed(self, roi_feats: torch.Tensor) -> torch.Tensor:
        """(N, C, s, s) RoI features -> (N, D) region embeddings (not normalised) and keep nothing else."""
        return self.text_proj(self._shared(roi_feats))

    def _shared(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.shared_convs:
            x = conv(x)
        if self.num_shared_fcs > 0:
            x = x.flatten(1)
            for fc in self.shared_fcs:
                x = self.relu(fc(x))
        return x

    def text_logits(self, region: torch.Tensor) -> torch.Tensor:
        """(N, D) region embeddings -> (N, K + 1) cosine / temperature logits, background last."""
        if self.class_embeddings is None:
            raise RuntimeError('DITOTextBBoxHead: no class embeddings set; the detector sets them before forward')
        if self.background_embed is None:
            raise RuntimeError('DITOTextBBoxHead: built with with_background_embed=False (pre-training only)')
        text = torch.cat([self.class_embeddings.to(region.dtype), self.background_embed[None]], dim=0)
        return F.normalize(region, dim=-1) @ F.normalize(text, dim=-1).t() / self.temperature

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Args:
            x: (N, C, s, s) RoI features.

        Returns:
            ``(cls_score (N, K + 1), bbox_pred (N, 4) or None)``.
        """
        shared = self._shared(x)
        cls_score = self.text_logits(self.text_proj(shared))
        bbox_pred = self.fc_reg(shared) if self.with_reg else None
        return cls_score, bbox_pred
