"""CLIP's modified ResNet as an mmdet/mmseg backbone, with attention pooling applied densely."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..registration import register_model
from ..shape_spec import ShapeSpec
from .arch import resolve_arch
from .pretrained_init import ClipPretrainedInitMixin, pretrained_to_init_cfg
from .layers import AntiAliasBottleneck, DenseAttentionPool2d, conv_bn

#: OpenAI CLIP ResNets: blocks per stage, stem width, joint-space width, pre-training image size.
CLIP_RESNET_ARCHS: Dict[str, dict] = {
    'RN50': dict(layers=(3, 4, 6, 3), width=64, output_dim=1024, image_size=224),
    'RN101': dict(layers=(3, 4, 23, 3), width=64, output_dim=512, image_size=224),
    'RN50x4': dict(layers=(4, 6, 10, 6), width=80, output_dim=640, image_size=288),
    'RN50x16': dict(layers=(6, 8, 18, 8), width=96, output_dim=768, image_size=384),
    'RN50x64': dict(layers=(3, 15, 36, 10), width=128, output_dim=1024, image_size=448),
    # test-sized variant
    'tiny': dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64),
}


@register_model()
class CLIPResNet(ClipPretrainedInitMixin, BaseModule):
    """OpenAI CLIP's modified ResNet (3-conv stem, anti-aliased bottlenecks, attention pooling).

    Output contract (see :meth:`output_shape`): the stages in ``out_indices`` as ``res2..res5`` maps
    (``4w, 8w, 16w, 32w`` channels at strides 4/8/16/32, ``w`` the stem width); with ``with_attnpool`` two more
    tensors follow: ``global_embed`` (B, D) and ``dense_embed`` (B, D, H/32, W/32) in the joint image-text space.
    The global embedding equals CLIP's image embedding; the dense map is the pooling's output at every position.

    Args:
        arch: a name in :data:`CLIP_RESNET_ARCHS` or a dict with ``layers``, ``width``, ``output_dim``,
            ``image_size`` (and optionally ``heads``, default ``width * 32 // 64``).
        out_indices: stages (0..3) to return.
        with_attnpool: build the attention pool and return ``global_embed`` and ``dense_embed``.
        frozen_stages: freeze the stem (0) and stages up to this index (1..4); -1 freezes nothing.
        norm_eval: keep BatchNorm layers in eval mode during training.
        norm_cfg: mmcv norm config for every norm layer.
        pos_interpolation: mode used to resize the attention pool's positional embedding to other input sizes, and
            a checkpoint's grid to ``image_size // 32`` at load (DenseCLIP: ``'bilinear'``).
        pos_crop: crop the top-left part of the positional grid for each input instead of resizing it (DenseCLIP's
            detectors, with ``image_size=1344``: a 42x42 grid).
        fast_inference: the inference fast path (see :meth:`set_fast_inference`); ``tools/test.py`` turns it on.
        channels_last: run in channels-last memory format in training too (the fast path always does in eval
            mode); on a CPU oneDNN then takes every convolution and its backward (a training step of RN50 at batch
            8 took 0.92x the time of the default layout); outputs and gradients are unchanged.
        init_cfg: mmengine init config, e.g. ``dict(type='Pretrained', checkpoint=...)`` on a converted checkpoint.
        pretrained: deprecated, as in mmseg/mmdet backbones: a path becomes a ``Pretrained`` ``init_cfg``.
    """

    def __init__(self, arch: Union[str, dict] = 'RN50', out_indices: Sequence[int] = (0, 1, 2, 3),
                 with_attnpool: bool = False, frozen_stages: int = -1, norm_eval: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True), pos_interpolation: str = 'bicubic',
                 pos_crop: bool = False, fast_inference: bool = False, channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None, pretrained: Optional[str] = None) -> None:
        super().__init__(init_cfg=pretrained_to_init_cfg(pretrained, init_cfg, type(self).__name__))
        arch = self.arch = resolve_arch(arch, CLIP_RESNET_ARCHS, 'CLIPResNet')
        if not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'CLIPResNet: out_indices must be within 0..3, got {tuple(out_indices)}')
        width = arch['width']
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.pos_interpolation = pos_interpolation
        self.channels_last = channels_last
        self.conv1 = nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, width // 2)[1]
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, width // 2)[1]
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, width)[1]
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(2)
        inplanes = width
        for i, blocks in enumerate(arch['layers']):
            planes = width * 2**i
            stage = [AntiAliasBottleneck(inplanes, planes, 1 if i == 0 else 2, norm_cfg)]
            inplanes = planes * AntiAliasBottleneck.expansion
            stage += [AntiAliasBottleneck(inplanes, planes, 1, norm_cfg) for _ in range(1, blocks)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*stage))
        self.attnpool = None
        if with_attnpool:
            heads = arch.get('heads', width * 32 // 64)
            self.attnpool = DenseAttentionPool2d(arch['image_size'] // 32, width * 32, heads, arch['output_dim'],
                                                 pos_interpolation, crop=pos_crop)
        self.set_fast_inference(fast_inference)
        self._freeze_stages()

    def set_fast_inference(self, enabled: bool = True) -> None:
        """Switch the fast path: every BatchNorm in eval mode (eval, ``norm_eval`` or frozen stages) is folded into
        the convolution before it, and in eval mode the input is made channels-last. Training-mode norms and the
        training forward are untouched; outputs equal the plain forward within float rounding.

        Args:
            enabled: on or off.
        """
        self.fast_inference = bool(enabled)
        for module in self.modules():
            if isinstance(module, AntiAliasBottleneck):
                module.fold_bn = self.fast_inference

    def output_shape(self) -> List[ShapeSpec]:
        """The outputs of :meth:`forward`, in order.

        Returns:
            One :class:`ShapeSpec` per returned tensor.
        """
        width = self.arch['width']
        specs = [ShapeSpec(f'res{i + 2}', width * 4 * 2**i, 4 * 2**i) for i in self.out_indices]
        if self.attnpool is not None:
            dim = self.attnpool.output_dim
            specs += [ShapeSpec('global_embed', dim, None), ShapeSpec('dense_embed', dim, 32)]
        return specs

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Three 3x3 convolutions and an average pool: stride 4."""
        fold = self.fast_inference
        x = self.relu(conv_bn(x, self.conv1, self.bn1, fold))
        x = self.relu(conv_bn(x, self.conv2, self.bn2, fold))
        x = self.relu(conv_bn(x, self.conv3, self.bn3, fold))
        return self.avgpool(x)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Args:
            x: images (B, 3, H, W), CLIP-normalised; H and W multiples of 32.

        Returns:
            The tensors described by :meth:`output_shape`, NCHW-contiguous (the trunk runs channels-last on the fast
            path; mmcv ops such as ``roi_align`` would misread a channels-last map).
        """
        if self.channels_last or (self.fast_inference and not self.training):
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.stem(x)
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        if self.attnpool is not None:
            global_embed, dense_embed = self.attnpool(x, dense=True)
            outs += [global_embed, dense_embed]
        # NCHW-contiguous: mmcv's CPU ops (roi_align) read channels-last tensors as NCHW without checking
        return tuple(t.contiguous() for t in outs)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        modules: List[nn.Module] = [self.conv1, self.bn1, self.conv2, self.bn2, self.conv3, self.bn3]
        modules += [getattr(self, f'layer{i}') for i in range(1, min(self.frozen_stages, 4) + 1)]
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def init_weights(self) -> None:
        """CLIP's initialisation (zero-init last BN of each block, scaled attention-pool projections), then
        ``init_cfg`` (e.g. a pretrained checkpoint) when given."""
        if self.init_cfg is None:
            for name, param in self.named_parameters():
                if name.endswith('bn3.weight') and name.startswith('layer'):
                    nn.init.zeros_(param)
            if self.attnpool is not None:
                self.attnpool.clip_init()
        super().init_weights()

    def train(self, mode: bool = True) -> 'CLIPResNet':
        """Switch train/eval mode, keeping frozen stages and (with ``norm_eval``) BatchNorm in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
