"""The DreamLIP pre-training model: a CLIP trained on short captions plus sub-captions of long captions, with the
multi-positive and the sub-caption grouping losses of zyf0619sjtu/DreamLIP ``open_clip/loss.py``."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.structures import BaseDataElement

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from ..imagetext import CLIPPretrainer
from ..registry import MODELS
from .grouping_loss import grouping_loss
from .multi_positive_loss import multi_positive_loss
from .same_text import caption_ids


@MODELS.register_module()
class DreamLIPPretrainer(CLIPPretrainer):
    """CLIP + DreamLIP's losses on ``T = 1 + num_text`` captions per image (the short caption first).

    Losses (the released ``ClipLoss.forward`` with ``use_multipos_loss``, ``use_finegrained_loss``):
    ``loss_itc`` = symmetric InfoNCE of images and short captions, divided by T as released (``/ (2 * number_text)``);
    ``loss_mpl`` = circle loss of each image against all captions (:func:`multi_positive_loss`);
    ``loss_sgl`` = ``sgl_weight`` x grouping loss of every caption with the image's patch tokens
    (:func:`grouping_loss`) at its own learnable scale ``temperature_local``.

    Patch tokens are the image encoder's ``dense_embed``: ``CLIPViT`` patch tokens through ``ln_post`` and ``proj``,
    or ``CLIPResNet``'s attention-pool value embeddings.

    Args:
        use_multipos_loss: add ``loss_mpl``.
        use_grouping_loss: add ``loss_sgl``.
        margin: circle-loss margin (0.25).
        gamma: circle-loss scale (32).
        mpl_divisor: ``loss_mpl`` is divided by this (10).
        sgl_norm: ``'minmax'`` or ``'softmax'``.
        sgl_delta: grouping threshold (0; < 0 means 1 / num_patches).
        sgl_weight: grouping loss weight (1.0).
        clip_weight: short-caption InfoNCE weight (1.0).
        itc_divide_by_texts: divide ``loss_itc`` by T as the released code does.
        mpl_skip_same_text: in ``loss_mpl``, do not count a caption of another image as a negative when its tokens
            equal one of the image's own captions (off: as released, which counts it; with repeated captions that
            term cannot be reduced, see :func:`multi_positive_loss`).
        sgl_skip_same_text: in ``loss_sgl``, do not count a pair whose caption has the same tokens as the anchor's
            as a negative (:func:`same_text_infonce`; off: as released).
        **kwargs: :class:`CLIPPretrainer` arguments (encoders, temperature, zero-shot classes...).
    """

    def __init__(self, use_multipos_loss: bool = True, use_grouping_loss: bool = True, margin: float = 0.25,
                 gamma: float = 32.0, mpl_divisor: float = 10.0, sgl_norm: str = 'minmax', sgl_delta: float = 0.0,
                 sgl_weight: float = 1.0, clip_weight: float = 1.0, itc_divide_by_texts: bool = True,
                 mpl_skip_same_text: bool = False, sgl_skip_same_text: bool = False, **kwargs) -> None:
        if kwargs.get('accum_steps', 1) != 1:
            raise ValueError('DreamLIPPretrainer: accum_steps must be 1 (the released code has no accumulation for '
                             'sub-captions either)')
        super().__init__(**kwargs)
        if use_grouping_loss:  # its own scale (only when used: DDP refuses parameters without a gradient)
            self.temperature_local = LearnableTemperature(kwargs.get('init_temperature', 0.07),
                                                          kwargs.get('max_logit_scale', 100.0))
        self.use_multipos_loss = use_multipos_loss
        self.use_grouping_loss = use_grouping_loss
        self.margin, self.gamma, self.mpl_divisor = margin, gamma, mpl_divisor
        self.sgl_norm, self.sgl_delta, self.sgl_weight = sgl_norm, sgl_delta, sgl_weight
        self.clip_weight = clip_weight
        self.itc_divide_by_texts = itc_divide_by_texts
        self.mpl_skip_same_text = mpl_skip_same_text
        self.sgl_skip_same_text = sgl_skip_same_text

    def _all_caption_tokens(self, samples: Sequence[BaseDataElement]) -> torch.Tensor:
        """(B, T, L) tokens: the short caption, then the ``sub_captions`` of each sample."""
        if not all(isinstance(s.get('sub_captions'), (list, tuple)) for s in samples):
            raise KeyError('DreamLIPPretrainer: training samples need "sub_captions" (put SampleSubCaptions and '
                           'PackImageSubCaptions in the training pipeline)')
        counts = {len(s.sub_captions) for s in samples}
        if len(counts) != 1:
            raise ValueError(f'DreamLIPPretrainer: samples have different numbers of sub-captions {sorted(counts)}')
        short = self._caption_tokens(samples).to(self.temperature.logit_scale.device)
        subs = self.tokenizer([text for s in samples for text in s.sub_captions]).to(short.device)
        return torch.cat([short[:, None], subs.view(len(samples), -1, subs.shape[-1])], dim=1)

    def dreamlip_losses(self, inputs: torch.Tensor,
                        data_samples: Sequence[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """The DreamLIP losses of one preprocessed batch.

        Args:
            inputs: (B, 3, H, W) normalised images.
            data_samples: with ``caption``/``text_tokens`` and ``sub_captions``.

        Returns:
            ``loss_itc`` [, ``loss_mpl``] [, ``loss_sgl``], ``logit_scale``, ``logit_scale_local``.
        """
        outs = self.image_encoder(inputs)
        image_embed, dense = outs[-2], outs[-1]
        patches = dense.flatten(2).transpose(1, 2)  # (B, P, D)
        tokens = self._all_caption_tokens(data_samples)
        batch, num_texts, length = tokens.shape
        text_embed = self.encode_text(tokens.view(-1, length)).view(batch, num_texts, -1)
        ids = caption_ids(tokens)  # (B, T): equal for identical caption texts
        scale = self._scale()
        itc = symmetric_infonce(image_embed, text_embed[:, 0], scale)
        losses = dict(loss_itc=self.clip_weight * itc / (num_texts if self.itc_divide_by_texts else 1))
        if self.use_multipos_loss:
            losses['loss_mpl'] = multi_positive_loss(image_embed, text_embed, self.margin, self.gamma,
                                                     self.mpl_divisor, text_ids=ids if self.mpl_skip_same_text
                                                     else None)
        if self.use_grouping_loss:
            local_scale = self.temperature_local()
            losses['loss_sgl'] = self.sgl_weight * grouping_loss(
                text_embed, patches, local_scale, self.sgl_norm, self.sgl_delta,
                text_ids=ids if self.sgl_skip_same_text else None)
            losses['logit_scale_local'] = local_scale.detach()
        losses['logit_scale'] = scale.detach()
        return losses

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """``loss``: :meth:`dreamlip_losses`; ``predict`` / ``tensor``: as :class:`CLIPPretrainer`."""
        if mode == 'loss':
            return self.dreamlip_losses(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)
