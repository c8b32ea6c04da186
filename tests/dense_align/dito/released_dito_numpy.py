"""Test helper: random DITO detector trees in the released Flax layout and float64 numpy implementations of the
released modules (google-research fvlm @ 8d8a4f1: ``modeling/clip_models.py`` VisionTransformer / WindowTransformer,
``modeling/fpn.py`` SimpleFpnV2, ``modeling/heads.py`` RpnHead / FastrcnnHead, ``ops/normalized_activation_layers.py``
NormalizedDense / NormalizedConv, ``heads.py`` MaskrcnnHead, ``modeling/task_heads.py`` ClipFasterRCNNHead's
temperature and mask crops), written from the module code, not from our PyTorch modules. Inputs and outputs are
channels-last (NHWC), as in the release."""
from math import erf, sqrt
from typing import Dict, List, Optional, Sequence

import numpy as np

Tree = Dict[str, np.ndarray]

# tiny released-layout detector: ViT patch 16 at 64 px (grid 4 = the stored position grid), windows as counts
PATCH, WIDTH, HEADS, LAYERS, GRID = 16, 32, 2, 3, 4
WINDOWS = (2, 2, None)  # released window_attention_size: windows per side, None = global
FROZEN_WINDOWS = (2, 2, None)
SHIFT = 1  # window_attention_shift_size (the detector's ViT only)
IN_LEVEL, MIN_LEVEL, MAX_LEVEL, FPN = 4, 2, 5, 16
RPN_CONVS, BOX_CONVS, FC, ROI = 2, 4, 32, 7
MASK_CONVS, MASK_ROI = 4, 14  # MaskrcnnHead num_convs; ClipFasterRCNNHead crops mask RoIs at 14 x 14
TEXT = WIDTH  # released ViT-L/16: TEXT_DIM == width, so proj is the identity


def _rand(rng: np.random.Generator, *shape: int, scale: float = 0.2) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _ln(rng: np.random.Generator, width: int) -> Dict[str, np.ndarray]:
    return {'scale': 1 + _rand(rng, width, scale=0.1), 'bias': _rand(rng, width, scale=0.1)}


def _put(tree: Tree, prefix: str, leaves: Dict[str, np.ndarray]) -> None:
    tree.update({f'{prefix}/{k}': v for k, v in leaves.items()})


def vit_tree(rng: np.random.Generator) -> Tree:
    """Leaves of a released ``VisionTransformer`` (no class token, no ln_pre, conv1 with bias)."""
    hd, tree = WIDTH // HEADS, {}
    _put(tree, 'conv1', {'kernel': _rand(rng, PATCH, PATCH, 3, WIDTH, scale=0.05), 'bias': _rand(rng, WIDTH)})
    tree['positional_embedding'] = _rand(rng, GRID * GRID, WIDTH)
    for i in range(LAYERS):
        b = f'transformer/resblocks.{i}'
        _put(tree, f'{b}/ln_1', _ln(rng, WIDTH))
        _put(tree, f'{b}/ln_2', _ln(rng, WIDTH))
        for n in ('query', 'key', 'value'):
            _put(tree, f'{b}/attn/{n}', {'kernel': _rand(rng, WIDTH, HEADS, hd), 'bias': _rand(rng, HEADS, hd)})
        _put(tree, f'{b}/attn/out', {'kernel': _rand(rng, HEADS, hd, WIDTH), 'bias': _rand(rng, WIDTH)})
        _put(tree, f'{b}/mlp/c_fc', {'kernel': _rand(rng, WIDTH, 4 * WIDTH), 'bias': _rand(rng, 4 * WIDTH)})
        _put(tree, f'{b}/mlp/c_proj', {'kernel': _rand(rng, 4 * WIDTH, WIDTH), 'bias': _rand(rng, WIDTH)})
    _put(tree, 'ln_post', _ln(rng, WIDTH))
    return tree


def fpn_tree(rng: np.random.Generator) -> Tree:
    """Leaves of a released ``SimpleFpnV2``: Flax auto-names ``ConvTranspose_k`` / ``Conv_k`` in creation order."""
    tree, deconv, conv = {}, 0, 0
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        diff, width = IN_LEVEL - level, WIDTH
        if diff >= 1:
            tree[f'ConvTranspose_{deconv}/kernel'] = _rand(rng, 2, 2, WIDTH, WIDTH // 2)
            deconv, width = deconv + 1, WIDTH // 2
        if diff == 2:
            _put(tree, f'simfpn-l{level}-ln-d2', _ln(rng, WIDTH // 2))
            tree[f'ConvTranspose_{deconv}/kernel'] = _rand(rng, 2, 2, WIDTH // 2, WIDTH // 4)
            deconv, width = deconv + 1, WIDTH // 4
        tree[f'Conv_{conv}/kernel'] = _rand(rng, 1, 1, width, FPN)
        _put(tree, f'simfpn-l{level}-ln-out-1', _ln(rng, FPN))
        tree[f'Conv_{conv + 1}/kernel'] = _rand(rng, 3, 3, FPN, FPN, scale=0.1)
        _put(tree, f'simfpn-l{level}-ln-out-2', _ln(rng, FPN))
        conv += 2
    return tree


def rpn_tree(rng: np.random.Generator) -> Tree:
    """Leaves of the released ``RpnHead`` (LayerNorm, 2 convs, 1 anchor): convs shared, norms per level."""
    tree = {}
    for i in range(RPN_CONVS):
        _put(tree, 'rpn' if i == 0 else f'rpn-{i}', {'kernel': _rand(rng, 3, 3, FPN, FPN, scale=0.1),
                                                     'bias': _rand(rng, FPN)})
    _put(tree, 'rpn-class', {'kernel': _rand(rng, 1, 1, FPN, 1), 'bias': _rand(rng, 1)})
    _put(tree, 'rpn-box', {'kernel': _rand(rng, 1, 1, FPN, 4, scale=0.05), 'bias': 0.5 + _rand(rng, 4, scale=0.05)})
    for k, level in enumerate(range(MIN_LEVEL, MAX_LEVEL + 1)):
        for i in range(RPN_CONVS):
            _put(tree, f'SubRpnHead_{k}/rpn-l{level}-bn' + ('' if i == 0 else f'-{i}'), _ln(rng, FPN))
    return tree


def box_head_tree(rng: np.random.Generator) -> Tree:
    """Leaves of the released ``FastrcnnHead`` (num_convs 4, num_fcs 1, LayerNorm, NormalizedDense, no class bias)."""
    tree = {}
    for i in range(BOX_CONVS):
        _put(tree, f'conv_{i}', {'kernel': _rand(rng, 3, 3, FPN, FPN, scale=0.1), 'bias': _rand(rng, FPN)})
        _put(tree, f'conv_{i}_bn', _ln(rng, FPN))
    _put(tree, 'fc6', {'kernel': _rand(rng, ROI * ROI * FPN, FC, scale=0.05), 'bias': _rand(rng, FC)})
    _put(tree, 'fc6_bn', _ln(rng, FC))
    _put(tree, 'box-predict', {'kernel': _rand(rng, FC, 4, scale=0.05), 'bias': _rand(rng, 4, scale=0.05)})
    tree['class-predict/kernel'] = _rand(rng, FC, TEXT)
    return tree


def mask_head_tree(rng: np.random.Generator, num_classes: int = 1) -> Tree:
    """Leaves of the released ``MaskrcnnHead`` (use_batch_norm=False, use_norm_activation=True; configs/model.gin:
    num_classes 1, class-agnostic): ``mask-conv-l{i}`` + LN ``mask-conv-l{i}-bn``, deconv ``conv5-mask`` + LN
    ``conv5-mask-bn``, 1x1 ``mask_fcn_logits`` (``NormalizedConv`` and ``ConvTranspose`` keep their biases)."""
    tree = {}
    for i in range(MASK_CONVS):
        _put(tree, f'mask-conv-l{i}', {'kernel': _rand(rng, 3, 3, FPN, FPN), 'bias': _rand(rng, FPN)})
        _put(tree, f'mask-conv-l{i}-bn', _ln(rng, FPN))
    _put(tree, 'conv5-mask', {'kernel': _rand(rng, 2, 2, FPN, FPN), 'bias': _rand(rng, FPN)})
    _put(tree, 'conv5-mask-bn', _ln(rng, FPN))
    _put(tree, 'mask_fcn_logits', {'kernel': _rand(rng, 1, 1, FPN, num_classes), 'bias': _rand(rng, num_classes)})
    return tree


def detector_tree(seed: int = 0, mask: bool = False) -> Tree:
    """A released detector state as ``restore_checkpoint`` returns it, flattened with '/' (``mask``: with the
    ``maskrcnn_head_fn`` of an ``INCLUDE_MASK = True`` model, drawn after everything else)."""
    rng = np.random.default_rng(seed)
    tree: Tree = {}
    for prefix, part in (('vision_model', vit_tree(rng)), ('frozen_vision_model', vit_tree(rng)),
                         ('task_heads_0/feature_pyramid_fn', fpn_tree(rng)),
                         ('task_heads_0/region_proposal_head_fn', rpn_tree(rng)),
                         ('task_heads_0/fastrcnn_head_fn', box_head_tree(rng))):
        _put(tree, prefix, part)
    if mask:
        _put(tree, 'task_heads_0/maskrcnn_head_fn', mask_head_tree(rng))
    tree['task_heads_0/temperature'] = np.array([1.3], np.float32)
    flat = {f'optimizer/target/{k}': v for k, v in tree.items()}
    flat['optimizer/state/step'] = np.array(5)
    return flat


def sub(flat: Tree, prefix: str) -> Tree:
    """The float64 leaves below ``prefix`` (the prefix removed)."""
    return {k[len(prefix):]: v.astype(np.float64) for k, v in flat.items() if k.startswith(prefix)}


# ----------------------------------------------------------------------------------------------- numpy modules


def layer_norm(x: np.ndarray, p: Tree, name: str, eps: float = 1e-6) -> np.ndarray:
    """Flax ``nn.LayerNorm`` (default epsilon 1e-6) over the last axis."""
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * p[f'{name}/scale'] + p[f'{name}/bias']


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """``jax.nn.gelu(x, approximate=True)``."""
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """``jax.nn.gelu(x, approximate=False)``."""
    return x * 0.5 * (1 + np.vectorize(erf)(x / sqrt(2)))


def residual_block(x: np.ndarray, p: Tree, b: str) -> np.ndarray:
    """``ResidualAttentionBlock`` (flax ``SelfAttention`` with (D, H, hd) kernels, tanh-GELU MLP); x: (N, T, D)."""
    xn = layer_norm(x, p, f'{b}/ln_1')
    q, k, v = (np.einsum('ntd,dhk->nthk', xn, p[f'{b}/attn/{n}/kernel']) + p[f'{b}/attn/{n}/bias']
               for n in ('query', 'key', 'value'))
    logits = np.einsum('nthk,nshk->nhts', q / np.sqrt(q.shape[-1]), k)
    attn = np.exp(logits - logits.max(-1, keepdims=True))
    attn /= attn.sum(-1, keepdims=True)
    x = x + np.einsum('nhts,nshk->nthk', attn, v).reshape(*x.shape[:2], -1) @ \
        p[f'{b}/attn/out/kernel'].reshape(-1, x.shape[-1]) + p[f'{b}/attn/out/bias']
    h = gelu_tanh(layer_norm(x, p, f'{b}/ln_2') @ p[f'{b}/mlp/c_fc/kernel'] + p[f'{b}/mlp/c_fc/bias'])
    return x + h @ p[f'{b}/mlp/c_proj/kernel'] + p[f'{b}/mlp/c_proj/bias']


def window_transformer(x: np.ndarray, p: Tree, windows: Sequence[Optional[int]], h: int, w: int) -> np.ndarray:
    """``WindowTransformer``: each block on K x K windows of the (h, w) grid (K = ``windows[i]``) or globally."""
    n, _, d = x.shape
    for i, k in enumerate(windows):
        if k is None:
            x = residual_block(x, p, f'transformer/resblocks.{i}')
            continue
        grid = x.reshape(n, k, h // k, k, w // k, d).transpose(0, 1, 3, 2, 4, 5).reshape(n * k * k, -1, d)
        out = residual_block(grid, p, f'transformer/resblocks.{i}')
        x = out.reshape(n, k, k, h // k, w // k, d).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * w, d)
    return x


def vision_transformer(images: np.ndarray, p: Tree, windows: Sequence[Optional[int]], shift: int) -> np.ndarray:
    """``VisionTransformer.__call__`` on (N, H, W, 3) images (stored position grid = input grid): the ``ln_post``
    map (N, H/p, W/p, D) it returns as level 4."""
    n, hh, ww, _ = images.shape
    h, w = hh // PATCH, ww // PATCH
    patches = images.reshape(n, h, PATCH, w, PATCH, 3).transpose(0, 1, 3, 2, 4, 5).reshape(n, h, w, -1)
    embedded = patches @ p['conv1/kernel'].reshape(-1, WIDTH) + p['conv1/bias']

    def one_pass(s: int) -> np.ndarray:
        x = np.roll(embedded, (-s, s), axis=(1, 2)).reshape(n, h * w, WIDTH) + p['positional_embedding'][None]
        x = window_transformer(x, p, windows, h, w).reshape(n, h, w, WIDTH)
        return np.roll(x, (s, -s), axis=(1, 2))

    x = one_pass(0) if not shift else (one_pass(0) + one_pass(shift)) * 0.5
    return layer_norm(x, p, 'ln_post')


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: Optional[np.ndarray] = None) -> np.ndarray:
    """Flax ``nn.Conv`` with stride 1 and 'SAME' padding (odd kernels); kernel (kh, kw, in, out)."""
    kh, kw = kernel.shape[:2]
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    h, w = x.shape[1:3]
    out = sum(xp[:, i:i + h, j:j + w] @ kernel[i, j] for i in range(kh) for j in range(kw))
    return out if bias is None else out + bias


def conv_transpose_2x2(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Flax ``nn.ConvTranspose`` (2x2 kernel, stride 2, 'SAME', ``transpose_kernel=False``): ``lax.conv_transpose``
    dilates the input by the stride, pads by (k - 1, k + s - 2 - (k - 1)) = (1, 1) and correlates with the kernel as
    stored."""
    n, h, w, c = x.shape
    dilated = np.zeros((n, 2 * h - 1, 2 * w - 1, c))
    dilated[:, ::2, ::2] = x
    xp = np.pad(dilated, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return sum(xp[:, i:i + 2 * h, j:j + 2 * w] @ kernel[i, j] for i in range(2) for j in range(2))


def max_pool(x: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Flax ``nn.max_pool`` with 'VALID' padding."""
    n, h, w, c = x.shape
    oh, ow = (h - window) // stride + 1, (w - window) // stride + 1
    out = np.full((n, oh, ow, c), -np.inf)
    for i in range(window):
        for j in range(window):
            out = np.maximum(out, x[:, i:i + stride * oh:stride, j:j + stride * ow:stride])
    return out


def simple_fpn_v2(x: np.ndarray, p: Tree) -> List[np.ndarray]:
    """``SimpleFpnV2`` on the level-``IN_LEVEL`` map; returns levels ``MIN_LEVEL..MAX_LEVEL``."""
    outs, deconv, conv = [], 0, 0
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        diff, y = IN_LEVEL - level, x
        if diff == 2:
            y = conv_transpose_2x2(y, p[f'ConvTranspose_{deconv}/kernel'])
            y = gelu_exact(layer_norm(y, p, f'simfpn-l{level}-ln-d2'))
            y = conv_transpose_2x2(y, p[f'ConvTranspose_{deconv + 1}/kernel'])
            deconv += 2
        elif diff == 1:
            y = conv_transpose_2x2(y, p[f'ConvTranspose_{deconv}/kernel'])
            deconv += 1
        elif diff < 0:
            y = max_pool(y, 2, 2)
        y = layer_norm(conv2d(y, p[f'Conv_{conv}/kernel']), p, f'simfpn-l{level}-ln-out-1')
        y = layer_norm(conv2d(y, p[f'Conv_{conv + 1}/kernel']), p, f'simfpn-l{level}-ln-out-2')
        conv += 2
        if diff == -2:
            y = max_pool(y, 1, 2)
        outs.append(y)
    return outs


def rpn_head(feats: Sequence[np.ndarray], p: Tree) -> List[tuple]:
    """``RpnHead`` / ``SubRpnHead`` (LayerNorm): per level (scores (N, h, w, 1), l/r/t/b (N, h, w, 4))."""
    outs = []
    for k, (level, x) in enumerate(zip(range(MIN_LEVEL, MAX_LEVEL + 1), feats)):
        for i in range(RPN_CONVS):
            name = 'rpn' if i == 0 else f'rpn-{i}'
            x = conv2d(x, p[f'{name}/kernel'], p[f'{name}/bias'])
            x = np.maximum(layer_norm(x, p, f'SubRpnHead_{k}/rpn-l{level}-bn' + ('' if i == 0 else f'-{i}')), 0)
        outs.append((conv2d(x, p['rpn-class/kernel'], p['rpn-class/bias']),
                     conv2d(x, p['rpn-box/kernel'], p['rpn-box/bias'])))
    return outs


def fastrcnn_head(rois: np.ndarray, p: Tree) -> tuple:
    """``FastrcnnHead`` on (R, 7, 7, C) RoI features: (NormalizedDense class features (R, D), boxes (R, 4) as
    (dy, dx, dh, dw))."""
    x = rois
    for i in range(BOX_CONVS):
        x = np.maximum(layer_norm(conv2d(x, p[f'conv_{i}/kernel'], p[f'conv_{i}/bias']), p, f'conv_{i}_bn'), 0)
    x = x.reshape(len(x), -1) @ p['fc6/kernel'] + p['fc6/bias']
    x = np.maximum(layer_norm(x, p, 'fc6_bn'), 0)
    kernel = p['class-predict/kernel']
    kernel = kernel / np.sqrt((kernel * kernel).sum(0, keepdims=True) + 1e-12)
    feats = 20.0 * x / np.sqrt((x * x).sum(-1, keepdims=True) + 1e-12) @ kernel
    return feats, x @ p['box-predict/kernel'] + p['box-predict/bias']


def region_text_logits(feats: np.ndarray, text: np.ndarray, temperature: float, scale: float = 0.01) -> np.ndarray:
    """``ClipFasterRCNNHead.compute_region_text_similarity``: cosine / (``temperature_scale`` * ``temperature``)."""
    feats = feats / np.linalg.norm(feats, axis=-1, keepdims=True)
    text = text / np.linalg.norm(text, axis=-1, keepdims=True)
    return feats @ text.T / (scale * temperature)


def multilevel_crop_and_resize(feats: Sequence[np.ndarray], boxes_xyxy: np.ndarray, output_size: int,
                               min_level: int = MIN_LEVEL) -> np.ndarray:
    """``spatial_transform_ops.multilevel_crop_and_resize`` for one image: level ``floor(log2(sqrt(hw) / 224)) + 4``
    clamped to the pyramid, one bilinear sample per bin at its centre (``sample_offset`` 0.5) in feature coordinates
    where pixel j sits at j, indices clamped to [0, size - 1]. feats: (h_l, w_l, C) per level; returns (R, S, S, C)."""
    max_level = min_level + len(feats) - 1
    out = []
    for x1, y1, x2, y2 in boxes_xyxy:
        level = int(np.floor(np.log(np.sqrt((y2 - y1) * (x2 - x1)) / 224.0) / np.log(2.0))) + 4
        level = min(max_level, max(level, min_level))
        f, s = feats[level - min_level], 2.0 ** level
        h, w = f.shape[:2]
        ys = y1 / s + (np.arange(output_size) + 0.5) * (y2 - y1) / s / output_size
        xs = x1 / s + (np.arange(output_size) + 0.5) * (x2 - x1) / s / output_size

        def taps(g: np.ndarray, size: int):
            g0 = np.minimum(np.maximum(np.floor(g), 0), size - 1)
            return g0.astype(int), np.minimum(g0 + 1, size - 1).astype(int), g - g0

        y0, y1i, ly = taps(ys, h)
        x0, x1i, lx = taps(xs, w)
        crop = ((1 - ly)[:, None, None] * ((1 - lx)[None, :, None] * f[y0][:, x0] + lx[None, :, None] * f[y0][:, x1i])
                + ly[:, None, None] * ((1 - lx)[None, :, None] * f[y1i][:, x0] + lx[None, :, None] * f[y1i][:, x1i]))
        out.append(crop)
    return np.stack(out)


def l2_normalize(x: np.ndarray, axis: int) -> np.ndarray:
    """``normalized_activation_layers.l2_normalize``: ``x * rsqrt(sum(x^2, axis) + 1e-12)``."""
    return x / np.sqrt((x * x).sum(axis=axis, keepdims=True) + 1e-12)


def normalized_conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, temperature: float = 20.0) -> np.ndarray:
    """``NormalizedConv`` (stride 1, 'SAME' for 3x3, 'VALID' = 'SAME' for 1x1): kernel (kh, kw, in, out) normalised
    over ``in`` (axis 2), input normalised over channels and times ``temperature``, then the conv plus bias."""
    return conv2d(l2_normalize(x, -1) * temperature, l2_normalize(kernel, 2), bias)


def maskrcnn_head(rois: np.ndarray, p: Tree, class_indices: Optional[np.ndarray] = None,
                  norm_activation: bool = True) -> np.ndarray:
    """``MaskrcnnHead.__call__`` (LayerNorm; ``use_norm_activation``) on (R, s, s, C) RoI features: mask logits
    (R, 2s, 2s); class-agnostic (one logits channel) unless ``class_indices`` (R,) pick the channel per RoI."""
    conv = normalized_conv if norm_activation else conv2d
    x = rois
    for i in range(MASK_CONVS):
        x = np.maximum(layer_norm(conv(x, p[f'mask-conv-l{i}/kernel'], p[f'mask-conv-l{i}/bias']), p,
                                  f'mask-conv-l{i}-bn'), 0)
    x = conv_transpose_2x2(x, p['conv5-mask/kernel']) + p['conv5-mask/bias']
    x = np.maximum(layer_norm(x, p, 'conv5-mask-bn'), 0)
    x = conv(x, p['mask_fcn_logits/kernel'], p['mask_fcn_logits/bias'])  # (R, 2s, 2s, num_classes)
    if class_indices is None:
        return x[..., 0]
    return x[np.arange(len(x)), :, :, class_indices]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``jax.nn.sigmoid``: ``detection_masks`` at test time."""
    return 1 / (1 + np.exp(-x))
