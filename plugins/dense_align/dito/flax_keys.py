"""Key and layout map from the released DITO Flax parameter trees (google-research ``fvlm``) to our DITO detector.

Leaf names come from the released module code: ``fvlm/modeling/clip_models.py`` (``VisionTransformer``: ``conv1``,
``positional_embedding`` (14 x 14 rows, no class token), ``transformer/resblocks.N/{ln_1, attn/{query,key,value,out},
ln_2, mlp/{c_fc,c_proj}}``, ``ln_post``), ``fvlm/modeling/heads.py`` (``FastrcnnHead``: ``fc6``, ``fc6_bn``, ``fc7``,
``fc7_bn``, ``box-predict``, ``class-predict`` as ``NormalizedDense``), ``fvlm/modeling/task_heads.py``
(``ClipFasterRCNNHead``: ``feature_pyramid_fn``, ``region_proposal_head_fn``, ``fastrcnn_head_fn``, ``temperature``)
and ``fvlm/utils/checkpoint_utils.py`` (detector files: ``optimizer/target/{vision_model, frozen_vision_model,
task_heads_0}``; pre-trained files: ``model_state/params/visual/{<ViT leaves>, feature_pyramid_fn,
fastrcnn_head_fn}``). Keys are the Flax tree flattened with ``/`` (``flax.traverse_util.flatten_dict(tree,
sep='/')``). ``fvlm/modeling/fpn.py`` (``SimpleFpnV2``: auto-named ``ConvTranspose_k`` / ``Conv_k`` in creation
order, LayerNorms ``simfpn-l{L}-ln-{d2,out-1,out-2}``) and ``heads.py`` ``RpnHead`` (``rpn``, ``rpn-1``, ``rpn-class``,
``rpn-box`` shared over levels; per-level LayerNorms ``rpn-l{L}-bn[-i]`` inside ``SubRpnHead_k``) give the pyramid and
RPN leaves; ``heads.py`` ``MaskrcnnHead`` (``mask-conv-l{i}[-bn]``, ``conv5-mask[-bn]``, ``mask_fcn_logits``) the mask
head. What has no counterpart here is listed by :func:`convert_dito_flax` instead of being guessed; see
configs/dito/README.md ("Released weights") for what is and is not equivalent.
"""
import re
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import torch

#: Leading parts of the flattened key that are stripped (detector file, pre-trained file, bare variables).
ROOTS = ('optimizer/target/', 'model_state/params/visual/', 'params/visual/', 'params/')
#: Sub-trees with no counterpart in our detector: reported, not converted.
UNMAPPED_GROUPS = {
    'maskrcnn_head_fn/': 'mask head left out (mask_head=False, e.g. for the box-only config)',
}
#: ``NormalizedDense`` multiplies the L2-normalised input by this (``temperature=20.0`` default).
NORMALIZED_DENSE_SCALE = 20.0
#: Released box deltas are (dy, dx, dh, dw) (boxes as y1, x1, y2, x2); mmdet's are (dx, dy, dw, dh).
BOX_DELTA_ORDER = (1, 0, 3, 2)


def strip_root(flat: Mapping[str, np.ndarray]) -> Tuple[Dict[str, np.ndarray], str, int]:
    """Keep the model parameters of a restored state and remove their prefix.

    The first root in :data:`ROOTS` that some key starts with is the model's tree; keys outside it (optimizer
    moments ``optimizer/state/...``, ``step``, the text tower ``model_state/params/text/...``) are dropped.

    Args:
        flat: the flattened Flax state (``/``-joined keys).

    Returns:
        (the tree below the root, the root or ``''``, how many keys were dropped).
    """
    for root in ROOTS:
        if any(k.startswith(root) for k in flat):
            tree = {k[len(root):]: np.asarray(v) for k, v in flat.items() if k.startswith(root)}
            return tree, root, len(flat) - len(tree)
    return {k: np.asarray(v) for k, v in flat.items()}, '', 0


def _take(tree: Dict[str, np.ndarray], key: str, used: set, source: str) -> np.ndarray:
    if key not in tree:
        raise KeyError(f'{source}: missing Flax leaf {key!r}')
    used.add(key)
    return tree[key]


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def vit_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set, source: str,
              proj_dim: int = 0, clip_layout: bool = False) -> Dict[str, torch.Tensor]:
    """Convert one released ``VisionTransformer`` into ``CLIPViT`` keys.

    Released layout (default; for ``CLIPViT(class_token=False, pre_norm=False, patch_bias=True, ln_eps=1e-6,
    act='gelu_tanh')``): ``conv1`` with its bias, the positions as stored. ``clip_layout`` targets a plain CLIP
    ``CLIPViT`` instead: the patch bias is added to every positional row, a zero class row is prepended, the class
    token and ``ln_pre`` become zero / identity (they still change the outputs: the class token joins attention and
    ``ln_pre`` normalises, so this is not equivalent).

    Args:
        tree: the flattened tree below the root.
        src: prefix of the ViT leaves in ``tree`` (``'vision_model/'``, ``'frozen_vision_model/'`` or ``''``).
        dst: prefix of our keys (``'backbone.'``, ``'vlm.backbone.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.
        proj_dim: width of our ``proj``; equal to the ViT width gives the identity (the released top map is compared
            with the text embeddings directly after ``ln_post``); 0 leaves ``proj`` out.
        clip_layout: target a ``CLIPViT`` with class token, ``ln_pre`` and a bias-free ``conv1``.

    Returns:
        Our state dict entries.
    """
    out: Dict[str, torch.Tensor] = {}
    kernel = _take(tree, f'{src}conv1/kernel', used, source)  # (p, p, 3, D)
    width = kernel.shape[-1]
    out[f'{dst}conv1.weight'] = _t(kernel.transpose(3, 2, 0, 1))
    pos = _take(tree, f'{src}positional_embedding', used, source)  # (G*G, D)
    bias = _take(tree, f'{src}conv1/bias', used, source)
    if clip_layout:
        out[f'{dst}positional_embedding'] = _t(np.concatenate([np.zeros((1, width), pos.dtype), pos + bias[None]]))
        out[f'{dst}class_embedding'] = torch.zeros(width)
        out[f'{dst}ln_pre.weight'] = torch.ones(width)
        out[f'{dst}ln_pre.bias'] = torch.zeros(width)
    else:
        out[f'{dst}conv1.bias'] = _t(bias)
        out[f'{dst}positional_embedding'] = _t(pos)
    blocks = sorted({int(k[len(src):].split('/')[1].split('.')[1]) for k in tree
                     if k.startswith(f'{src}transformer/resblocks.')})
    if not blocks:
        raise KeyError(f'{source}: no {src}transformer/resblocks.N leaves')
    for i in blocks:
        f, o = f'{src}transformer/resblocks.{i}/', f'{dst}transformer.resblocks.{i}.'
        for ln in ('ln_1', 'ln_2'):
            out[f'{o}{ln}.weight'] = _t(_take(tree, f'{f}{ln}/scale', used, source))
            out[f'{o}{ln}.bias'] = _t(_take(tree, f'{f}{ln}/bias', used, source))
        qkv = [_take(tree, f'{f}attn/{n}/kernel', used, source) for n in ('query', 'key', 'value')]  # (D, H, hd)
        out[f'{o}attn.in_proj_weight'] = _t(np.concatenate([k.reshape(width, -1).T for k in qkv], axis=0))
        out[f'{o}attn.in_proj_bias'] = _t(np.concatenate(
            [_take(tree, f'{f}attn/{n}/bias', used, source).reshape(-1) for n in ('query', 'key', 'value')]))
        out[f'{o}attn.out_proj.weight'] = _t(_take(tree, f'{f}attn/out/kernel', used, source).reshape(-1, width).T)
        out[f'{o}attn.out_proj.bias'] = _t(_take(tree, f'{f}attn/out/bias', used, source))
        for fc in ('c_fc', 'c_proj'):
            out[f'{o}mlp.{fc}.weight'] = _t(_take(tree, f'{f}mlp/{fc}/kernel', used, source).T)
            out[f'{o}mlp.{fc}.bias'] = _t(_take(tree, f'{f}mlp/{fc}/bias', used, source))
    out[f'{dst}ln_post.weight'] = _t(_take(tree, f'{src}ln_post/scale', used, source))
    out[f'{dst}ln_post.bias'] = _t(_take(tree, f'{src}ln_post/bias', used, source))
    if proj_dim == width:
        out[f'{dst}proj'] = torch.eye(width)
    return out


def _indexed(tree: Dict[str, np.ndarray], pattern: str) -> List[int]:
    """Sorted integers ``i`` of the keys matching ``pattern`` (a regex with one group)."""
    return sorted({int(m.group(1)) for k in tree for m in [re.fullmatch(pattern, k)] if m})


def box_head_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set, source: str,
                   roi_size: int = 7) -> Dict[str, torch.Tensor]:
    """Convert the released ``FastrcnnHead`` into ``DITOTextBBoxHead`` keys (any ``num_convs`` / ``num_fcs``; the
    DITO gin with ``configs/model.gin``: 4 convs ``conv_i`` + LN ``conv_i_bn``, 1 FC ``fc6`` + LN ``fc6_bn``).

    Convs (3x3, HWIO) become ``shared_convs.i.conv``, their LayerNorms ``shared_conv_norms.i``; FCs ``fc{6+i}``
    become ``shared_fcs.i``, LayerNorms ``fc{6+i}_bn`` ``shared_fc_norms.i``. The first FC reads RoI features
    flattened channels-last (y, x, c); mmdet flattens (c, y, x), so its rows are permuted. ``class-predict``
    (``NormalizedDense``: ``20 * x/|x| @ W/|W|_col + b``) becomes ``text_proj`` with the column-normalised kernel
    times 20 (equal up to the input normalisation, exactly equal in the cosine classifier when its bias is 0).
    ``box-predict`` (class-agnostic, (dy, dx, dh, dw)) becomes ``fc_reg`` in mmdet's (dx, dy, dw, dh) order.

    Args:
        tree: the flattened tree below the root.
        src: prefix of the head leaves (``'task_heads_0/fastrcnn_head_fn/'`` or ``'fastrcnn_head_fn/'``).
        dst: prefix of our keys (``'roi_head.bbox_head.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.
        roi_size: RoIAlign output side of the box head (released: 7).

    Returns:
        Our state dict entries.
    """
    out: Dict[str, torch.Tensor] = {}
    for i in _indexed(tree, re.escape(src) + r'conv_(\d+)/kernel'):
        out[f'{dst}shared_convs.{i}.conv.weight'] = _t(
            _take(tree, f'{src}conv_{i}/kernel', used, source).transpose(3, 2, 0, 1))
        out[f'{dst}shared_convs.{i}.conv.bias'] = _t(_take(tree, f'{src}conv_{i}/bias', used, source))
        out[f'{dst}shared_conv_norms.{i}.weight'] = _t(_take(tree, f'{src}conv_{i}_bn/scale', used, source))
        out[f'{dst}shared_conv_norms.{i}.bias'] = _t(_take(tree, f'{src}conv_{i}_bn/bias', used, source))
    fcs = _indexed(tree, re.escape(src) + r'fc(\d+)/kernel')
    if not fcs or fcs[0] != 6:
        raise KeyError(f'{source}: missing Flax leaf {src + "fc6/kernel"!r}')
    for i, n in enumerate(fcs):
        kernel = _take(tree, f'{src}fc{n}/kernel', used, source)  # (in, F)
        if i == 0:
            channels = kernel.shape[0] // (roi_size * roi_size)
            if channels * roi_size * roi_size != kernel.shape[0]:
                raise ValueError(f'{source}: {src}fc6/kernel has {kernel.shape[0]} inputs, not a multiple of '
                                 f'roi_size^2 = {roi_size ** 2}')
            kernel = kernel.reshape(roi_size, roi_size, channels, -1).transpose(2, 0, 1, 3).reshape(
                kernel.shape[0], -1)
        out[f'{dst}shared_fcs.{i}.weight'] = _t(kernel.T)
        out[f'{dst}shared_fcs.{i}.bias'] = _t(_take(tree, f'{src}fc{n}/bias', used, source))
        if f'{src}fc{n}_bn/scale' in tree:
            out[f'{dst}shared_fc_norms.{i}.weight'] = _t(_take(tree, f'{src}fc{n}_bn/scale', used, source))
            out[f'{dst}shared_fc_norms.{i}.bias'] = _t(_take(tree, f'{src}fc{n}_bn/bias', used, source))
    cls = _take(tree, f'{src}class-predict/kernel', used, source)  # (F, D)
    cls = NORMALIZED_DENSE_SCALE * cls / np.sqrt((cls * cls).sum(axis=0, keepdims=True) + 1e-12)
    out[f'{dst}text_proj.weight'] = _t(cls.T)
    cls_bias = tree.get(f'{src}class-predict/bias')
    if cls_bias is not None:
        used.add(f'{src}class-predict/bias')
    out[f'{dst}text_proj.bias'] = _t(cls_bias if cls_bias is not None else np.zeros(cls.shape[1], np.float32))
    box = _take(tree, f'{src}box-predict/kernel', used, source)
    if box.shape[1] != 4:
        raise ValueError(f'{source}: {src}box-predict/kernel has {box.shape[1]} outputs; only class-agnostic '
                         f'regression (4, the DITO gin) maps onto DITOTextBBoxHead')
    order = list(BOX_DELTA_ORDER)
    out[f'{dst}fc_reg.weight'] = _t(box[:, order].T)
    out[f'{dst}fc_reg.bias'] = _t(_take(tree, f'{src}box-predict/bias', used, source)[order])
    return out


def _deconv(kernel: np.ndarray) -> torch.Tensor:
    """Flax ``ConvTranspose`` kernel (kh, kw, in, out), ``transpose_kernel=False`` -> ``nn.ConvTranspose2d`` weight
    (in, out, kh, kw). ``lax.conv_transpose`` correlates the stride-dilated input with the kernel as stored, PyTorch
    scatters with it, so the taps are flipped in both spatial axes."""
    return _t(kernel[::-1, ::-1].transpose(2, 3, 0, 1))


def pyramid_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set, source: str,
                  in_level: int) -> Dict[str, torch.Tensor]:
    """Convert the released ``SimpleFpnV2`` into :class:`DITOSimpleFPN` keys.

    Its convs are auto-named in creation order (levels finest first; per level: the deconvs, then the 1x1 and 3x3
    convs), so ``ConvTranspose_k`` / ``Conv_k`` are assigned by walking the levels found in the LayerNorm names.

    Args:
        tree: the flattened tree below the root.
        src: prefix of the pyramid leaves (``'task_heads_0/feature_pyramid_fn/'`` or ``'feature_pyramid_fn/'``).
        dst: prefix of our keys (``'neck.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.
        in_level: level of the ViT map (log2 of the patch size).

    Returns:
        Our state dict entries.
    """
    out: Dict[str, torch.Tensor] = {}
    levels = _indexed(tree, re.escape(src) + r'simfpn-l(\d+)-ln-out-1/scale')
    if not levels:
        raise KeyError(f'{source}: no {src}simfpn-l<L>-ln-out-1 leaves')
    deconv = conv = 0
    for index, level in enumerate(levels):
        diff, o = in_level - level, f'{dst}levels.{index}.'
        if diff >= 1:
            out[f'{o}deconv1.weight'] = _deconv(_take(tree, f'{src}ConvTranspose_{deconv}/kernel', used, source))
            deconv += 1
        if diff == 2:
            for n, leaf in (('weight', 'scale'), ('bias', 'bias')):
                out[f'{o}deconv_norm.{n}'] = _t(_take(tree, f'{src}simfpn-l{level}-ln-d2/{leaf}', used, source))
            out[f'{o}deconv2.weight'] = _deconv(_take(tree, f'{src}ConvTranspose_{deconv}/kernel', used, source))
            deconv += 1
        for name, norm in (('lateral', 'out-1'), ('output', 'out-2')):
            out[f'{o}{name}.weight'] = _t(_take(tree, f'{src}Conv_{conv}/kernel', used, source).transpose(3, 2, 0, 1))
            conv += 1
            for n, leaf in (('weight', 'scale'), ('bias', 'bias')):
                out[f'{o}{name}_norm.{n}'] = _t(_take(tree, f'{src}simfpn-l{level}-ln-{norm}/{leaf}', used, source))
    return out


def mask_head_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set,
                    source: str) -> Dict[str, torch.Tensor]:
    """Convert the released ``MaskrcnnHead`` (``use_batch_norm=False``; LVIS export) into :class:`DITOMaskHead` keys.

    ``mask-conv-l{i}`` (3x3, HWIO) -> ``convs.i.conv``, LayerNorm ``mask-conv-l{i}-bn`` -> ``conv_norms.i``;
    ``conv5-mask`` (Flax ``ConvTranspose`` 2x2 / 2, taps flipped as in :func:`_deconv`) -> ``upsample``,
    ``conv5-mask-bn`` -> ``upsample_norm``; ``mask_fcn_logits`` (1x1) -> ``conv_logits``. Kernels are stored raw:
    ``use_norm_activation`` normalises them at run time (``DITOMaskHead(normalized_convs=True)``); whether the
    release used it, and LayerNorm rather than BatchNorm (same leaf names), comes from the gin, not the weights.

    Args:
        tree: the flattened tree below the root.
        src: prefix of the mask head leaves (``'task_heads_0/maskrcnn_head_fn/'``).
        dst: prefix of our keys (``'roi_head.mask_head.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.

    Returns:
        Our state dict entries.

    Raises:
        ValueError: ``mask_fcn_logits`` has more than one output (class-specific masks; the DITO gin's are
            class-agnostic: ``MaskrcnnHead.num_classes = 1``).
    """
    out: Dict[str, torch.Tensor] = {}
    convs = _indexed(tree, re.escape(src) + r'mask-conv-l(\d+)/kernel')
    if not convs:
        raise KeyError(f'{source}: no {src}mask-conv-l<i>/kernel leaves')
    for i in convs:
        out[f'{dst}convs.{i}.conv.weight'] = _t(
            _take(tree, f'{src}mask-conv-l{i}/kernel', used, source).transpose(3, 2, 0, 1))
        out[f'{dst}convs.{i}.conv.bias'] = _t(_take(tree, f'{src}mask-conv-l{i}/bias', used, source))
        for n, leaf in (('weight', 'scale'), ('bias', 'bias')):
            out[f'{dst}conv_norms.{i}.{n}'] = _t(_take(tree, f'{src}mask-conv-l{i}-bn/{leaf}', used, source))
    out[f'{dst}upsample.weight'] = _deconv(_take(tree, f'{src}conv5-mask/kernel', used, source))
    out[f'{dst}upsample.bias'] = _t(_take(tree, f'{src}conv5-mask/bias', used, source))
    for n, leaf in (('weight', 'scale'), ('bias', 'bias')):
        out[f'{dst}upsample_norm.{n}'] = _t(_take(tree, f'{src}conv5-mask-bn/{leaf}', used, source))
    logits = _take(tree, f'{src}mask_fcn_logits/kernel', used, source)  # (1, 1, C, num_classes)
    if logits.shape[-1] != 1:
        raise ValueError(f'{source}: {src}mask_fcn_logits/kernel has {logits.shape[-1]} outputs; only '
                         f'class-agnostic masks (1, the DITO gin) map onto DITOMaskHead(class_agnostic=True)')
    out[f'{dst}conv_logits.weight'] = _t(logits.transpose(3, 2, 0, 1))
    out[f'{dst}conv_logits.bias'] = _t(_take(tree, f'{src}mask_fcn_logits/bias', used, source))
    return out


def rpn_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set, source: str) -> Dict[str, torch.Tensor]:
    """Convert the released ``RpnHead`` (LayerNorm variant) into :class:`DITOCenternessRPNHead` keys.

    ``rpn``, ``rpn-1``, ... (3x3, shared over levels) -> ``rpn_convs.i``; ``rpn-l{L}-bn[-i]`` (wherever they sit
    below ``src``, e.g. ``SubRpnHead_k/``) -> ``rpn_norms.{L - min L}.i``; ``rpn-class`` -> ``rpn_cls``;
    ``rpn-box`` (l, r, t, b) -> ``rpn_reg``.

    Args:
        tree: the flattened tree below the root.
        src: prefix of the RPN leaves (``'task_heads_0/region_proposal_head_fn/'``).
        dst: prefix of our keys (``'rpn_head.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.

    Returns:
        Our state dict entries.
    """
    out: Dict[str, torch.Tensor] = {}
    convs = [0] + _indexed(tree, re.escape(src) + r'rpn-(\d+)/kernel')
    for i in convs:
        name = 'rpn' if i == 0 else f'rpn-{i}'
        out[f'{dst}rpn_convs.{i}.weight'] = _t(_take(tree, f'{src}{name}/kernel', used, source).transpose(3, 2, 0, 1))
        out[f'{dst}rpn_convs.{i}.bias'] = _t(_take(tree, f'{src}{name}/bias', used, source))
    for ours, theirs in (('rpn_cls', 'rpn-class'), ('rpn_reg', 'rpn-box')):
        out[f'{dst}{ours}.weight'] = _t(_take(tree, f'{src}{theirs}/kernel', used, source).transpose(3, 2, 0, 1))
        out[f'{dst}{ours}.bias'] = _t(_take(tree, f'{src}{theirs}/bias', used, source))
    norms = {}
    for key in tree:
        match = re.fullmatch(re.escape(src) + r'(?:.*/)?rpn-l(\d+)-bn(?:-(\d+))?/(scale|bias)', key)
        if match:
            norms[(int(match.group(1)), int(match.group(2) or 0), match.group(3))] = key
    if not norms:
        raise KeyError(f'{source}: no {src}.../rpn-l<L>-bn LayerNorm leaves (the BatchNorm RPN is not supported)')
    min_level = min(level for level, _, _ in norms)
    for (level, i, leaf), key in norms.items():
        out[f'{dst}rpn_norms.{level - min_level}.{i}.{"weight" if leaf == "scale" else "bias"}'] = \
            _t(_take(tree, key, used, source))
    return out


def convert_dito_flax(flat: Mapping[str, np.ndarray], source: str = 'checkpoint', text_dim: int = 0,
                      roi_size: int = 7, clip_layout: bool = False, background: Optional[np.ndarray] = None,
                      mask_head: bool = True) -> Tuple[Dict[str, torch.Tensor], Dict[str, object]]:
    """Released DITO parameters (a detector or a pre-trained file) -> our ``DITOFasterRCNN`` state dict.

    Converted: the ViT(s) (``backbone.``, ``vlm.backbone.``), ``SimpleFpnV2`` (``neck.``), the RPN (``rpn_head.``),
    the box head (``roi_head.bbox_head.``), ``temperature`` (``roi_head.bbox_head.temperature_factor``) and, when the
    file has one (``INCLUDE_MASK = True``, the LVIS export), the mask head (``roi_head.mask_head.``), for the released
    layout of ``configs/dito/dito-{faster,mask}-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py``.

    Args:
        flat: the Flax tree flattened with ``/``.
        source: file name for error messages.
        text_dim: text embedding width; equal to the ViT width gives ``proj`` = identity (ViT-L/16: 1024).
        roi_size: RoIAlign output side of the box head.
        clip_layout: convert the ViTs for a plain CLIP ``CLIPViT`` (class token, ``ln_pre``; not equivalent, see
            :func:`vit_state`); the pyramid and RPN are then still converted.
        background: a (D,) background text embedding for ``roi_head.bbox_head.background_embed`` (the release
            keeps it in its vocabulary files, row 0, not in the checkpoint).
        mask_head: convert ``maskrcnn_head_fn`` if present; False leaves it out (listed in ``unmapped``).

    Returns:
        (state dict, notes): notes hold ``kind`` ('detector' or 'pretrained'), ``root``, ``dropped_outside_root``,
        ``unmapped`` ({group: reason} of the groups present but not converted) and ``temperature`` (the learned
        classifier temperature, if present).

    Raises:
        KeyError: a leaf the released code defines is missing, or a leaf outside the known layout is present (both
            named).
    """
    tree, root, dropped = strip_root(flat)
    used: set = set()
    state: Dict[str, torch.Tensor] = {}
    if any(k.startswith('vision_model/') for k in tree):
        kind = 'detector'
        state.update(vit_state(tree, 'vision_model/', 'backbone.', used, source, text_dim, clip_layout))
        if any(k.startswith('frozen_vision_model/') for k in tree):
            state.update(vit_state(tree, 'frozen_vision_model/', 'vlm.backbone.', used, source, text_dim,
                                   clip_layout))
        heads = 'task_heads_0/'
    elif 'conv1/kernel' in tree:
        kind = 'pretrained'  # the pre-trained ViT initialises both the detector's and the frozen one (gin filters)
        state.update(vit_state(tree, '', 'backbone.', used, source, text_dim, clip_layout))
        state.update(vit_state(tree, '', 'vlm.backbone.', set(), source, text_dim, clip_layout))
        heads = ''
    else:
        raise KeyError(f'{source}: neither a DITO detector tree (vision_model/...) nor a pre-trained ViT tree '
                       f'(conv1/kernel, ...) after stripping {root or "no root"!r}')
    if any(k.startswith(f'{heads}fastrcnn_head_fn/') for k in tree):
        state.update(box_head_state(tree, f'{heads}fastrcnn_head_fn/', 'roi_head.bbox_head.', used, source,
                                    roi_size))
    if any(k.startswith(f'{heads}feature_pyramid_fn/') for k in tree):
        patch = int(tree['conv1/kernel' if kind == 'pretrained' else 'vision_model/conv1/kernel'].shape[0])
        state.update(pyramid_state(tree, f'{heads}feature_pyramid_fn/', 'neck.', used, source,
                                   int(round(np.log2(patch)))))
    if any(k.startswith(f'{heads}region_proposal_head_fn/') for k in tree):
        state.update(rpn_state(tree, f'{heads}region_proposal_head_fn/', 'rpn_head.', used, source))
    if mask_head and any(k.startswith(f'{heads}maskrcnn_head_fn/') for k in tree):
        state.update(mask_head_state(tree, f'{heads}maskrcnn_head_fn/', 'roi_head.mask_head.', used, source))
    if f'{heads}temperature' in tree:
        used.add(f'{heads}temperature')
        state['roi_head.bbox_head.temperature_factor'] = _t(np.asarray(tree[f'{heads}temperature']).reshape(1))
    if background is not None:
        state['roi_head.bbox_head.background_embed'] = _t(np.asarray(background).reshape(-1))
    unmapped: Dict[str, str] = {}
    rest: List[str] = []
    for key in sorted(set(tree) - used):
        group = next((g for g in UNMAPPED_GROUPS if key[len(heads):].startswith(g)), None) \
            if key.startswith(heads) else None
        if group is None:
            rest.append(key)
        else:
            unmapped[group] = UNMAPPED_GROUPS[group]
    if rest:
        raise KeyError(f'{source}: Flax leaves outside the released DITO layout: {rest[:8]}'
                       + (f' and {len(rest) - 8} more' if len(rest) > 8 else ''))
    notes: Dict[str, object] = dict(kind=kind, root=root, dropped_outside_root=dropped, unmapped=unmapped)
    if f'{heads}temperature' in tree:
        notes['temperature'] = float(np.asarray(tree[f'{heads}temperature']).reshape(-1)[0])
    return state, notes
