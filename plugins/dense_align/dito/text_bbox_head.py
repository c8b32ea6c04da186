"""The Fast R-CNN box head of DITO: shared FCs -> a projection into the text space; classes are scored by cosine
similarity with class-name embeddings over a temperature, plus a learned background embedding."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import nn

from ..registration import register_model
from .channel_norm import ChannelLayerNorm


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
        norm_eps: if set, a LayerNorm with this epsilon follows every shared conv (over channels) and every shared
            FC, before the ReLU (the released ``FastrcnnHead`` with ``use_batch_norm=False``: 1e-6; keys
            ``shared_conv_norms.i`` / ``shared_fc_norms.i``).
        learned_temperature: logits are divided by ``temperature * temperature_factor`` with ``temperature_factor``
            a learned scalar initialised to 1 (released ``ClipFasterRCNNHead``: ``temperature_scale`` = gin ``TEMP``
            = 0.01 times its learned ``temperature``).
        num_shared_convs: shared 3x3 convs before the FCs (released ``FastrcnnHead``: 4).
        num_shared_fcs: shared FCs (released: 1; ``Shared2FCBBoxHead``'s 2 by default).
        **kwargs: ``Shared2FCBBoxHead`` arguments (``with_cls`` is implied).
    """

    def __init__(self, text_dim: int, temperature: float = 0.01, with_background_embed: bool = True,
                 norm_eps: Optional[float] = None, learned_temperature: bool = False, num_shared_convs: int = 0,
                 num_shared_fcs: int = 2, **kwargs) -> None:
        kwargs.pop('with_cls', None)
        kwargs.setdefault('reg_class_agnostic', True)
        if kwargs.get('init_cfg') is None:
            kwargs['init_cfg'] = [dict(type='Xavier', distribution='uniform',
                                       override=[dict(name='shared_fcs'), dict(name='text_proj')]),
                                  dict(type='Normal', std=0.001, override=dict(name='fc_reg'))]
            if not kwargs.get('with_reg', True):
                kwargs['init_cfg'] = kwargs['init_cfg'][:1]
        # ConvFCBBoxHead's constructor, so that the shared conv/FC counts are free (Shared2FCBBoxHead fixes 0 / 2)
        super(Shared2FCBBoxHead, self).__init__(num_shared_convs=num_shared_convs, num_shared_fcs=num_shared_fcs,
                                                num_cls_convs=0, num_cls_fcs=0, num_reg_convs=0, num_reg_fcs=0,
                                                with_cls=True, **kwargs)
        del self.fc_cls  # scores come from the text classifier below
        self.temperature = temperature
        self.text_proj = nn.Linear(self.cls_last_dim, text_dim)
        self.background_embed = nn.Parameter(torch.randn(text_dim) * text_dim**-0.5) if with_background_embed \
            else None
        self.class_embeddings: Optional[torch.Tensor] = None
        self.fixed_background: Optional[torch.Tensor] = None
        self.norm_eps = norm_eps
        if norm_eps is not None:
            self.shared_conv_norms = nn.ModuleList(ChannelLayerNorm(self.conv_out_channels, norm_eps)
                                                   for _ in range(self.num_shared_convs))
            self.shared_fc_norms = nn.ModuleList(nn.LayerNorm(self.fc_out_channels, eps=norm_eps)
                                                 for _ in range(self.num_shared_fcs))
        self.temperature_factor = nn.Parameter(torch.ones(1)) if learned_temperature else None

    def set_background_embedding(self, embedding: Optional[torch.Tensor]) -> None:
        """Score the background against this fixed (D,) embedding instead of ``background_embed`` (None: undo)."""
        self.fixed_background = embedding

    def set_class_embeddings(self, embeddings: torch.Tensor) -> None:
        """Set the (K, D) class-name embeddings scored by :meth:`forward` and ``num_classes = K``."""
        self.class_embeddings = embeddings
        self.num_classes = embeddings.shape[0]

    def region_embed(self, roi_feats: torch.Tensor) -> torch.Tensor:
        """(N, C, s, s) RoI features -> (N, D) region embeddings (not normalised) and keep nothing else."""
        return self.text_proj(self._shared(roi_feats))

    def _shared(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.shared_convs):
            x = conv(x) if self.norm_eps is None else self.relu(self.shared_conv_norms[i](conv.conv(x)))
        if self.num_shared_fcs > 0:
            x = x.flatten(1)
            for i, fc in enumerate(self.shared_fcs):
                x = fc(x)
                x = self.relu(x if self.norm_eps is None else self.shared_fc_norms[i](x))
        return x

    def text_logits(self, region: torch.Tensor) -> torch.Tensor:
        """(N, D) region embeddings -> (N, K + 1) cosine / temperature logits, background last."""
        if self.class_embeddings is None:
            raise RuntimeError('DITOTextBBoxHead: no class embeddings set; the detector sets them before forward')
        background = self.background_embed if self.fixed_background is None else self.fixed_background
        if background is None:
            raise RuntimeError('DITOTextBBoxHead: built with with_background_embed=False (pre-training only)')
        text = torch.cat([self.class_embeddings.to(region.dtype), background[None].to(region.dtype)], dim=0)
        temperature = self.temperature if self.temperature_factor is None \
            else self.temperature * self.temperature_factor.to(region.dtype)
        return F.normalize(region, dim=-1) @ F.normalize(text, dim=-1).t() / temperature

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
