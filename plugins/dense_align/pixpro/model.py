"""PixPro: pixel-propagation consistency between two views, against a momentum encoder."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from torch import nn

from align_core.momentum import ema_update_
from ..registry import MODELS
from .losses import pixcontrast_loss, propagation_consistency_loss
from .momentum import cosine_momentum
from .positive_pairs import positive_pair_mask
from .projector import pixel_mlp
from .propagation import PixelPropagation

LOSS_NAMES = ('propagation', 'pixcontrast', 'instance')


def last_feature(feats: Union[torch.Tensor, Tuple[torch.Tensor, ...]]) -> torch.Tensor:
    """The last feature map of a backbone that returns a tensor or a tuple of them."""
    return feats[-1] if isinstance(feats, (list, tuple)) else feats


def check_settings(weights: Dict[str, float], pos_ratio: float, momentum: float, temperature: float) -> None:
    """Raise a ``ValueError`` naming the first PixPro argument out of its range.

    Args:
        weights: the merged ``loss_weights``.
        pos_ratio: ``pos_ratio``.
        momentum: ``base_momentum``.
        temperature: ``pixcontrast_temperature``.
    """
    bad = {k: w for k, w in weights.items() if not (isinstance(w, (int, float)) and 0 <= w < float('inf'))}
    if bad:
        raise ValueError(f'PixPro: loss_weights must be finite and >= 0, got {bad}')
    if not any(w > 0 for w in weights.values()):
        raise ValueError(f'PixPro: at least one of loss_weights {weights} must be positive')
    if not pos_ratio > 0:
        raise ValueError(f'PixPro: pos_ratio must be > 0, got {pos_ratio}')
    if not 0 <= momentum <= 1:
        raise ValueError(f'PixPro: base_momentum must be in [0, 1], got {momentum}')
    if not temperature > 0:
        raise ValueError(f'PixPro: pixcontrast_temperature must be > 0, got {temperature}')


@MODELS.register_module()
class PixPro(BaseModel):
    """Online encoder + projector + pixel propagation; momentum (key) encoder + projector updated by a cosine EMA.

    Args:
        backbone: the encoder, any ResNet-like module whose last output is the feature map (paper: mmdet ResNet-50,
            C5, ``norm_eval=False``, ``zero_init_residual=True``).
        in_channels: channels of that feature map (2048 for ResNet-50, 512 for ResNet-18).
        hidden_channels: projector hidden width (4096).
        out_channels: projector output channels (256).
        propagation: :class:`PixelPropagation` settings (``transform_layers``, ``gamma``).
        pos_ratio: T, the positive-pair distance threshold in feature-bin diagonals (0.7), > 0.
        base_momentum: EMA momentum at the first iteration (0.99), in [0, 1]; it rises to 1 on a cosine over training.
        loss_weights: non-negative weights of ``propagation`` (pixel propagation), ``pixcontrast`` and ``instance``
            (the BYOL branch). Only the modules a positive weight uses are built (the pixel projector for
            ``propagation`` or ``pixcontrast``, the propagation module for ``propagation``, the instance projector and
            predictor for ``instance``), so that every parameter gets a gradient under DDP.
        pixcontrast_temperature: PixContrast softmax temperature, > 0. 0.3 is the default of the unofficial
            lucidrains/pixel-level-contrastive-learning; the released PixPro code has no PixContrast.
        total_iters: iterations of training, used for the momentum schedule only outside an mmengine Runner (the
            Runner's ``max_iters`` wins); without either the momentum stays at ``base_momentum``.
        data_preprocessor: normally ``MultiViewDataPreprocessor``.
        init_cfg: initialisation of the online branch; the key branch copies it in :meth:`init_weights`.
    """

    def __init__(self, backbone: dict, in_channels: int = 2048, hidden_channels: int = 4096, out_channels: int = 256,
                 propagation: dict = dict(transform_layers=1, gamma=2.0), pos_ratio: float = 0.7,
                 base_momentum: float = 0.99, loss_weights: Optional[Dict[str, float]] = None,
                 pixcontrast_temperature: float = 0.3, total_iters: Optional[int] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None, init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MultiViewDataPreprocessor')
        if isinstance(data_preprocessor, dict):  # built here so that no default scope is needed
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        weights = dict(propagation=1.0, pixcontrast=0.0, instance=0.0)
        unknown = set(loss_weights or {}) - set(LOSS_NAMES)
        if unknown:
            raise KeyError(f'PixPro: loss_weights has unknown key(s) {sorted(unknown)}; expected {list(LOSS_NAMES)}')
        weights.update(loss_weights or {})
        check_settings(weights, pos_ratio, base_momentum, pixcontrast_temperature)
        self.loss_weights = weights
        self.backbone = MODELS.build(backbone)
        online = [('backbone', self.backbone)]
        if weights['propagation'] > 0 or weights['pixcontrast'] > 0:
            self.projector = pixel_mlp(in_channels, hidden_channels, out_channels)
            online.append(('projector', self.projector))
        if weights['propagation'] > 0:
            self.propagation = PixelPropagation(out_channels, **propagation)
        if weights['instance'] > 0:
            self.projector_instance = pixel_mlp(in_channels, hidden_channels, out_channels)
            self.predictor = pixel_mlp(out_channels, hidden_channels, out_channels)
            online.append(('projector_instance', self.projector_instance))
        self._momentum_pairs = []
        for name, module in online:
            key_module = copy.deepcopy(module)
            key_module.requires_grad_(False)
            self.add_module(f'momentum_{name}', key_module)
            self._momentum_pairs.append((module, key_module))
        self.pos_ratio = pos_ratio
        self.base_momentum = base_momentum
        self.pixcontrast_temperature = pixcontrast_temperature
        self.total_iters = total_iters
        self._local_step = 0

    def init_weights(self) -> None:
        """Initialises the online branch, then copies it into the key branch (parameters and buffers)."""
        super().init_weights()
        for online, key in self._momentum_pairs:
            key.load_state_dict(online.state_dict())

    def current_momentum(self) -> float:
        """The EMA momentum of this iteration: cosine from ``base_momentum`` to 1 over the Runner's ``max_iters``
        (or ``total_iters``)."""
        hub = MessageHub.get_current_instance()
        total, step = hub.get_info('max_iters'), hub.get_info('iter')
        if total is None:
            total, step = self.total_iters, self._local_step
        if not total:
            return self.base_momentum
        return cosine_momentum(step, total, self.base_momentum)

    @torch.no_grad()
    def momentum_update(self, momentum: float) -> None:
        """``key = momentum * key + (1 - momentum) * online`` over the parameters (buffers are not averaged)."""
        for online, key in self._momentum_pairs:
            ema_update_(key, online, momentum)

    def extract_feat(self, images: torch.Tensor) -> torch.Tensor:
        """Args:
            images: (N, 3, H, W).

        Returns:
            The online encoder's last feature map (N, C, h, w).
        """
        return last_feature(self.backbone(images))

    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'loss') -> Union[Dict[str, torch.Tensor], torch.Tensor]:
        """Args:
            inputs: (N, 2, 3, H, W) two views per image (``loss``), or (N, 3, H, W) images (``tensor``).
            data_samples: per image, ``view_boxes`` (2, 4) (``loss`` only).
            mode: ``'loss'`` or ``'tensor'`` (online encoder features).

        Returns:
            The loss dict, or the feature map.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs[:, 0] if inputs.dim() == 5 else inputs)
        raise ValueError(f'PixPro is a pre-training model: mode must be "loss" or "tensor", got "{mode}". Export the '
                         'encoder with tools/model_converters/pixpro_export.py and fine-tune it in mmdet/mmseg.')

    def _view_boxes(self, data_samples: List, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if data_samples is None or len(data_samples) != inputs.shape[0]:
            raise ValueError('PixPro.loss needs one data sample with view_boxes (2, 4) per image; got '
                             f'{None if data_samples is None else len(data_samples)} for {inputs.shape[0]} images')
        boxes = torch.stack([torch.as_tensor(s.view_boxes) for s in data_samples]).to(inputs.device, torch.float32)
        if boxes.shape[1:] != (2, 4):
            raise ValueError(f'PixPro.loss: view_boxes must be (2, 4) per image, got {tuple(boxes.shape[1:])}')
        return boxes[:, 0], boxes[:, 1]

    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Args:
            inputs: (N, 2, 3, H, W) the two views.
            data_samples: per image, ``view_boxes`` (2, 4).

        Returns:
            ``loss_propagation`` / ``loss_pixcontrast`` / ``loss_instance`` for the branches with a positive weight
            (already weighted), and the ``momentum`` used.
        """
        if inputs.dim() != 5 or inputs.shape[1] != 2:
            raise ValueError(f'PixPro.loss expects (N, 2, 3, H, W) inputs, got {tuple(inputs.shape)}')
        boxes_1, boxes_2 = self._view_boxes(data_samples, inputs)
        feat_1, feat_2 = self.extract_feat(inputs[:, 0]), self.extract_feat(inputs[:, 1])
        pixel_level = hasattr(self, 'projector')
        if pixel_level:
            proj_1, proj_2 = self.projector(feat_1), self.projector(feat_2)

        momentum = self.current_momentum()
        self.momentum_update(momentum)
        self._local_step += 1
        with torch.no_grad():
            key_feat_1 = last_feature(self.momentum_backbone(inputs[:, 0]))
            key_feat_2 = last_feature(self.momentum_backbone(inputs[:, 1]))
            if pixel_level:
                key_1 = F.normalize(self.momentum_projector(key_feat_1), dim=1)
                key_2 = F.normalize(self.momentum_projector(key_feat_2), dim=1)

        losses = {}
        if pixel_level:
            size = tuple(proj_1.shape[-2:])
            mask_12 = positive_pair_mask(boxes_1, boxes_2, size, size, self.pos_ratio)  # rows: view 1, cols: view 2
            mask_21 = mask_12.transpose(1, 2)
        if self.loss_weights['propagation'] > 0:
            pred_1, pred_2 = self.propagation(proj_1), self.propagation(proj_2)
            loss = propagation_consistency_loss(pred_1, key_2, mask_12) + \
                propagation_consistency_loss(pred_2, key_1, mask_21)
            losses['loss_propagation'] = self.loss_weights['propagation'] * loss
        if self.loss_weights['pixcontrast'] > 0:
            loss = pixcontrast_loss(proj_1, key_2, proj_2, key_1, mask_12, self.pixcontrast_temperature)
            losses['loss_pixcontrast'] = self.loss_weights['pixcontrast'] * loss
        if self.loss_weights['instance'] > 0:
            losses['loss_instance'] = self.loss_weights['instance'] * self._instance_loss(
                feat_1, feat_2, key_feat_1, key_feat_2)
        losses['momentum'] = torch.tensor(momentum, device=inputs.device)
        return losses

    def _instance_loss(self, feat_1: torch.Tensor, feat_2: torch.Tensor, key_feat_1: torch.Tensor,
                       key_feat_2: torch.Tensor) -> torch.Tensor:
        """BYOL: ``-2 cos(predictor(projector(view a)), key projector(view b))``, both directions, pooled."""
        def pooled(x: torch.Tensor) -> torch.Tensor:
            return F.normalize(x.mean(dim=(2, 3)), dim=1)

        pred_1 = pooled(self.predictor(self.projector_instance(feat_1)))
        pred_2 = pooled(self.predictor(self.projector_instance(feat_2)))
        with torch.no_grad():
            target_1 = pooled(self.momentum_projector_instance(key_feat_1))
            target_2 = pooled(self.momentum_projector_instance(key_feat_2))
        return -2 * ((pred_1 * target_2).sum(1).mean() + (pred_2 * target_1).sum(1).mean())
