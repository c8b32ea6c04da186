"""CLIP's vision transformer as an mmdet/mmseg backbone: multi-level maps, a simple feature pyramid, dense
embeddings in the joint space, and DITO's windowed attention with a shifted-window pass."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from ..registration import register_model
from ..shape_spec import ShapeSpec
from .arch import resolve_arch
from .pretrained_init import ClipPretrainedInitMixin, pretrained_to_init_cfg
from .layers import SimpleFeaturePyramid, Transformer, resize_pos_embed
from .layers.windows import window_merge, window_padding_mask, window_partition

#: OpenAI CLIP ViTs: patch size, width, depth, heads, joint-space width, pre-training image size.
CLIP_VIT_ARCHS: Dict[str, dict] = {
    'ViT-B/32': dict(patch_size=32, width=768, layers=12, heads=12, output_dim=512, image_size=224),
    'ViT-B/16': dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512, image_size=224),
    'ViT-L/14': dict(patch_size=14, width=1024, layers=24, heads=16, output_dim=768, image_size=224),
    'ViT-L/14@336': dict(patch_size=14, width=1024, layers=24, heads=16, output_dim=768, image_size=336),
    # test-sized variant
    'tiny': dict(patch_size=8, width=64, layers=4, heads=2, output_dim=32, image_size=64),
}


@register_model()
class CLIPViT(ClipPretrainedInitMixin, BaseModule):
    """OpenAI CLIP's ViT (keys ``conv1``, ``class_embedding``, ``positional_embedding``, ``ln_pre``,
    ``transformer.resblocks.N``, ``ln_post``, ``proj``) for dense prediction.

    Output contract (see :meth:`output_shape`): the outputs of the blocks in ``out_indices`` as (B, width, H', W')
    maps, either all at the patch stride (``block{i}``) or, with ``pyramid``, resampled to strides 4/8/16/32
    (``p2..p5``; one block per level); with ``with_embeddings``, ``global_embed`` (B, D) (CLIP's image embedding)
    and ``dense_embed`` (B, D, H/p, W/p) (every patch token through ``ln_post`` and ``proj``) follow.

    Windowed attention (DITO): with ``window_size > 0`` every block not in ``global_attn_indexes`` attends within
    non-overlapping windows of the patch grid; the class token joins every window and its outputs are averaged.
    ``shifted_pass`` adds a second pass on the patch grid rolled by ``(-shift, +shift)`` (positional embedding added
    after the roll); its outputs are rolled back and averaged with the first pass. With ``shift_size=0`` the extra
    pass repeats the first one, so the result equals a single pass.

    Args:
        arch: a name in :data:`CLIP_VIT_ARCHS` or a dict with the same keys.
        out_indices: blocks whose outputs are returned (default: the last block of each quarter).
        pyramid: resample the outputs to strides 4, 8, 16, 32 (needs four ``out_indices``).
        pyramid_norm_cfg: norm inside the pyramid's upsampling.
        with_embeddings: also return ``global_embed`` and ``dense_embed``.
        act: MLP activation: ``'quick_gelu'`` (OpenAI weights) or ``'gelu'``.
        drop_path_rate: stochastic depth of the last block (linear from 0).
        with_cp: activation checkpointing of every block during training.
        window_size: window side in patches; 0 disables windowed attention.
        global_attn_indexes: blocks that keep global attention when windows are on.
        shifted_pass: run the extra pass on the rolled grid (needs ``window_size``).
        shift_size: roll of the extra pass in patches; default half a window (DITO).
        frozen_stages: -1 freezes nothing; 0 the patch/position embeddings and ``ln_pre``; k > 0 also blocks < k.
        pos_interpolation: mode used to resize the positional embedding to other input sizes, and a checkpoint's
            grid to ``image_size // patch_size`` at load (DenseCLIP: ``'bilinear'``).
        fast_inference: the inference fast path (see :meth:`set_fast_inference`); ``tools/test.py`` turns it on.
        init_cfg: mmengine init config.
        pretrained: deprecated, as in mmseg/mmdet backbones: a path becomes a ``Pretrained`` ``init_cfg``.
        class_token: prepend CLIP's class token (the released DITO ViT has none: ``False``; then ``global_embed``
            is the mean of ``dense_embed``).
        pre_norm: apply ``ln_pre`` to the embedded tokens (released DITO: ``False``, no ``ln_pre`` key).
        ln_eps: epsilon of every LayerNorm (PyTorch/OpenAI 1e-5; the released Flax ViT 1e-6).
        patch_bias: give ``conv1`` a bias (released DITO: ``True``).
        norm_maps: pass the returned block maps through ``ln_post`` (released DITO feeds ``ln_post`` of its last
            block to the pyramid).

    The MLP activation may also be ``'gelu_tanh'`` (GELU's tanh approximation, ``jax.nn.gelu``'s default, used by
    the released DITO ViT).
    """

    def __init__(self, arch: Union[str, dict] = 'ViT-B/16', out_indices: Optional[Sequence[int]] = None,
                 pyramid: bool = False, pyramid_norm_cfg: dict = dict(type='BN'), with_embeddings: bool = False,
                 act: str = 'quick_gelu', drop_path_rate: float = 0.0, with_cp: bool = False, window_size: int = 0,
                 global_attn_indexes: Sequence[int] = (), shifted_pass: bool = False,
                 shift_size: Optional[int] = None, frozen_stages: int = -1,
                 pos_interpolation: str = 'bicubic', fast_inference: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 pretrained: Optional[str] = None, class_token: bool = True, pre_norm: bool = True,
                 ln_eps: float = 1e-5, patch_bias: bool = False, norm_maps: bool = False) -> None:
        super().__init__(init_cfg=pretrained_to_init_cfg(pretrained, init_cfg, type(self).__name__))
        arch = self.arch = resolve_arch(arch, CLIP_VIT_ARCHS, 'CLIPViT')
        width, layers, patch = arch['width'], arch['layers'], arch['patch_size']
        if out_indices is None:
            out_indices = [layers // 4 * (k + 1) - 1 for k in range(4)]
        self.out_indices = tuple(i % layers for i in out_indices)
        if pyramid and len(self.out_indices) != 4:
            raise ValueError(f'CLIPViT: pyramid=True needs 4 out_indices, got {tuple(out_indices)}')
        if shifted_pass and not window_size:
            raise ValueError('CLIPViT: shifted_pass needs window_size > 0')
        self.patch_size = patch
        self.grid = arch['image_size'] // patch
        self.window_size = window_size
        self.global_attn_indexes = set(i % layers for i in global_attn_indexes)
        self.shifted_pass = shifted_pass
        self.shift_size = window_size // 2 if shift_size is None else shift_size
        self.frozen_stages = frozen_stages
        self.with_embeddings = with_embeddings
        self.pos_interpolation = pos_interpolation
        self.num_prefix = 1 if class_token else 0
        self.norm_maps = norm_maps
        scale = width**-0.5
        self.conv1 = nn.Conv2d(3, width, patch, stride=patch, bias=patch_bias)
        if class_token:
            self.class_embedding = nn.Parameter(scale * torch.randn(width))
        else:
            self.register_parameter('class_embedding', None)
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid**2 + self.num_prefix, width))
        self.ln_pre = nn.LayerNorm(width, eps=ln_eps) if pre_norm else nn.Identity()
        self.transformer = Transformer(width, layers, arch['heads'], act='gelu' if act == 'gelu_tanh' else act,
                                       drop_path_rate=drop_path_rate, with_cp=with_cp)
        for module in self.transformer.modules():
            if isinstance(module, nn.LayerNorm):
                module.eps = ln_eps
            elif isinstance(module, nn.GELU) and act == 'gelu_tanh':
                module.approximate = 'tanh'
        self.ln_post = nn.LayerNorm(width, eps=ln_eps)
        self.proj = nn.Parameter(scale * torch.randn(width, arch['output_dim']))
        self.pyramid = SimpleFeaturePyramid(width, patch, norm_cfg=pyramid_norm_cfg) if pyramid else None
        self.set_fast_inference(fast_inference)
        self._freeze_stages()

    def set_fast_inference(self, enabled: bool = True) -> None:
        """Switch the fast path: in eval mode without autograd every block runs its projections through oneDNN's
        fused linear kernel (CPU) and a QuickGELU MLP as one fused SiLU (the 1.702 scales moved onto the MLP's
        narrow input and output). Attention is the fused ``scaled_dot_product_attention`` kernel either way. Training
        forwards are untouched; outputs equal the plain forward within float rounding.

        Args:
            enabled: on or off.
        """
        self.fast_inference = bool(enabled)
        for block in self.transformer.resblocks:
            block.fast_inference = self.fast_inference

    def output_shape(self) -> List[ShapeSpec]:
        """The outputs of :meth:`forward`, in order.

        Returns:
            One :class:`ShapeSpec` per returned tensor.
        """
        width = self.arch['width']
        if self.pyramid is not None:
            specs = [ShapeSpec(f'p{i + 2}', width, s) for i, s in enumerate(self.pyramid.strides)]
        else:
            specs = [ShapeSpec(f'block{i}', width, self.patch_size) for i in self.out_indices]
        if self.with_embeddings:
            dim = self.arch['output_dim']
            specs += [ShapeSpec('global_embed', dim, None), ShapeSpec('dense_embed', dim, self.patch_size)]
        return specs

    def _embed(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) patch grid -> (B, P + HW, C) tokens with the class token (P = 1, if any), positions and
        ``ln_pre``."""
        b, h, w, c = patches.shape
        pos = resize_pos_embed(self.positional_embedding, self.num_prefix, (self.grid, self.grid), (h, w),
                               self.pos_interpolation)
        tokens = patches.reshape(b, h * w, c)
        if self.class_embedding is not None:
            tokens = torch.cat([self.class_embedding.to(patches.dtype).expand(b, 1, c), tokens], dim=1)
        return self.ln_pre(tokens + pos.to(patches.dtype))

    def _windowed_block(self, index: int, tokens: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """Run block ``index`` within windows; the class token (if any) joins every window and is averaged back."""
        b, _, c = tokens.shape
        p = self.num_prefix
        windows, padded = window_partition(tokens[:, p:].reshape(b, hw[0], hw[1], c), self.window_size)
        per_image = windows.shape[0] // b
        mask = window_padding_mask(hw, self.window_size, b, tokens.device)
        if p:
            cls = tokens[:, :1].repeat_interleave(per_image, dim=0)
            mask = torch.cat([mask.new_ones(mask.shape[:-1] + (1, )), mask], dim=-1)
            windows = torch.cat([cls, windows], dim=1)
        out = self.transformer.run_block(index, windows, attn_mask=mask)
        grid = window_merge(out[:, p:], self.window_size, padded, hw).reshape(b, -1, c)
        if not p:
            return grid
        return torch.cat([out[:, :1].reshape(b, per_image, 1, c).mean(dim=1), grid], dim=1)

    def _trunk(self, patches: torch.Tensor) -> List[torch.Tensor]:
        """Run all blocks on a (B, H, W, C) patch grid; return the tokens after each block in ``out_indices`` and
        after the last block."""
        hw = patches.shape[1:3]
        tokens = self._embed(patches)
        keep = set(self.out_indices) | {len(self.transformer.resblocks) - 1}
        outs = []
        for index in range(len(self.transformer.resblocks)):
            if self.window_size and index not in self.global_attn_indexes:
                tokens = self._windowed_block(index, tokens, hw)
            else:
                tokens = self.transformer.run_block(index, tokens)
            if index in keep:
                outs.append(tokens)
        return outs

    def _roll_tokens(self, tokens: torch.Tensor, hw: Tuple[int, int], sign: int) -> torch.Tensor:
        """Roll the patch tokens of (B, P + HW, C) by ``sign * (-shift, +shift)``; the class token stays."""
        b, _, c = tokens.shape
        p = self.num_prefix
        grid = tokens[:, p:].reshape(b, hw[0], hw[1], c)
        grid = torch.roll(grid, shifts=(-sign * self.shift_size, sign * self.shift_size), dims=(1, 2))
        return torch.cat([tokens[:, :p], grid.reshape(b, -1, c)], dim=1)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Args:
            x: images (B, 3, H, W), CLIP-normalised.

        Returns:
            The tensors described by :meth:`output_shape`, NCHW-contiguous.
        """
        patches = self.conv1(x).permute(0, 2, 3, 1)  # B, H, W, C
        hw = patches.shape[1:3]
        outs = self._trunk(patches)
        if self.shifted_pass:
            rolled = torch.roll(patches, shifts=(-self.shift_size, self.shift_size), dims=(1, 2))
            shifted = [self._roll_tokens(t, hw, -1) for t in self._trunk(rolled)]
            outs = [(a + b) / 2 for a, b in zip(outs, shifted)]
        b, c = x.shape[0], self.arch['width']
        keep = sorted(set(self.out_indices) | {len(self.transformer.resblocks) - 1})
        by_index = dict(zip(keep, outs))
        p = self.num_prefix
        maps = [(self.ln_post(by_index[i]) if self.norm_maps else by_index[i])[:, p:].transpose(1, 2)
                .reshape(b, c, hw[0], hw[1]) for i in self.out_indices]
        results = list(self.pyramid(maps) if self.pyramid is not None else maps)
        if self.with_embeddings:
            last = self.ln_post(by_index[keep[-1]]) @ self.proj
            dense = last[:, p:].transpose(1, 2).reshape(b, -1, hw[0], hw[1])
            results += [last[:, 0] if p else last.mean(dim=1), dense]
        # the maps are channels-last views of the tokens; mmcv's CPU ops (roi_align) would read them as NCHW
        return tuple(t.contiguous() for t in results)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen: List[nn.Module] = [self.conv1, self.ln_pre]
        frozen += list(self.transformer.resblocks[:self.frozen_stages])
        if self.class_embedding is not None:
            self.class_embedding.requires_grad = False
        self.positional_embedding.requires_grad = False
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'CLIPViT':
        """Switch train/eval mode, keeping frozen parts in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self
