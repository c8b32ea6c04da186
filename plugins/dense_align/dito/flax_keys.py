"""Key and layout map from the released DITO Flax parameter trees (google-research ``fvlm``) to our DITO detector.

Leaf names come from the released module code: ``fvlm/modeling/clip_models.py`` (``VisionTransformer``: ``conv1``,
``positional_embedding`` (14 x 14 rows, no class token), ``transformer/resblocks.N/{ln_1, attn/{query,key,value,out},
ln_2, mlp/{c_fc,c_proj}}``, ``ln_post``), ``fvlm/modeling/heads.py`` (``FastrcnnHead``: ``fc6``, ``fc6_bn``, ``fc7``,
``fc7_bn``, ``box-predict``, ``class-predict`` as ``NormalizedDense``), ``fvlm/modeling/task_heads.py``
(``ClipFasterRCNNHead``: ``feature_pyramid_fn``, ``region_proposal_head_fn``, ``fastrcnn_head_fn``, ``temperature``)
and ``fvlm/utils/checkpoint_utils.py`` (detector files: ``optimizer/target/{vision_model, frozen_vision_model,
task_heads_0}``; pre-trained files: ``model_state/params/visual/{<ViT leaves>, feature_pyramid_fn,
fastrcnn_head_fn}``). Keys are the Flax tree flattened with ``/`` (``flax.traverse_util.flatten_dict(tree,
sep='/')``). What has no counterpart here is listed by :func:`convert_dito_flax` instead of being guessed; see
configs/dito/README.md ("Released weights") for what is therefore not equivalent.
"""
from typing import Dict, List, Mapping, Tuple

import numpy as np
import torch

#: Leading parts of the flattened key that are stripped (detector file, pre-trained file, bare variables).
ROOTS = ('optimizer/target/', 'model_state/params/visual/', 'params/visual/', 'params/')
#: Sub-trees with no counterpart in our detector: reported, not converted.
UNMAPPED_GROUPS = {
    'feature_pyramid_fn/': 'SimpleFpnV2 (per-level deconv/max-pool, 1x1 + LN, 3x3 + LN, no top-down path) differs '
                           'from our CLIPViT pyramid + mmdet FPN',
    'region_proposal_head_fn/': 'centerness + l/r/t/b RPN with LayerNorm differs from mmdet\'s anchor RPNHead',
    'maskrcnn_head_fn/': 'mask head not converted (DITO gin: INCLUDE_MASK = False)',
    'fastrcnn_head_fn/fc6_bn/': 'LayerNorm after fc6: our DITOTextBBoxHead has no norm after its FCs',
    'fastrcnn_head_fn/fc7_bn/': 'LayerNorm after fc7: our DITOTextBBoxHead has no norm after its FCs',
    'temperature': 'learnable classifier temperature (logits / (temperature_scale * t)); ours is fixed: set '
                   'roi_head.bbox_head.temperature from meta["dito_flax"]["temperature"]',
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
              proj_dim: int = 0) -> Dict[str, torch.Tensor]:
    """Convert one released ``VisionTransformer`` into ``CLIPViT`` keys.

    The patch-embedding bias (``conv1/bias``; our ``conv1`` has none) is added to every positional-embedding row,
    which is exact: the released code adds the bias and the positions to the same tokens before anything else. The
    class token and ``ln_pre`` (absent in the release) become a zero vector / unit scale and zero shift.

    Args:
        tree: the flattened tree below the root.
        src: prefix of the ViT leaves in ``tree`` (``'vision_model/'``, ``'frozen_vision_model/'`` or ``''``).
        dst: prefix of our keys (``'backbone.'``, ``'vlm.backbone.'``).
        used: collects the consumed Flax keys.
        source: file name for error messages.
        proj_dim: width of our ``proj``; equal to the ViT width gives the identity (the released top map is compared
            with the text embeddings directly after ``ln_post``); 0 leaves ``proj`` out.

    Returns:
        Our state dict entries.
    """
    out: Dict[str, torch.Tensor] = {}
    kernel = _take(tree, f'{src}conv1/kernel', used, source)  # (p, p, 3, D)
    width = kernel.shape[-1]
    out[f'{dst}conv1.weight'] = _t(kernel.transpose(3, 2, 0, 1))
    pos = _take(tree, f'{src}positional_embedding', used, source)  # (G*G, D)
    bias = tree.get(f'{src}conv1/bias')
    if bias is not None:
        used.add(f'{src}conv1/bias')
        pos = pos + bias[None]
    out[f'{dst}positional_embedding'] = _t(np.concatenate([np.zeros((1, width), pos.dtype), pos], axis=0))
    out[f'{dst}class_embedding'] = torch.zeros(width)
    out[f'{dst}ln_pre.weight'] = torch.ones(width)
    out[f'{dst}ln_pre.bias'] = torch.zeros(width)
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


def box_head_state(tree: Dict[str, np.ndarray], src: str, dst: str, used: set, source: str,
                   roi_size: int = 7) -> Dict[str, torch.Tensor]:
    """Convert the released ``FastrcnnHead`` (``num_fcs=2``, ``num_convs=0``) into ``DITOTextBBoxHead`` keys.

    ``fc6`` reads RoI features flattened channels-last (y, x, c); mmdet flattens (c, y, x), so its rows are
    permuted. ``class-predict`` (``NormalizedDense``: ``20 * x/|x| @ W/|W|_col + b``) becomes ``text_proj`` with
    the column-normalised kernel times 20 (equal up to the input normalisation, exactly equal in the cosine
    classifier when its bias is 0). ``box-predict`` (class-agnostic, (dy, dx, dh, dw)) becomes ``fc_reg`` in
    mmdet's (dx, dy, dw, dh) order.

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
    fc6 = _take(tree, f'{src}fc6/kernel', used, source)  # (S*S*C, F)
    channels = fc6.shape[0] // (roi_size * roi_size)
    if channels * roi_size * roi_size != fc6.shape[0]:
        raise ValueError(f'{source}: {src}fc6/kernel has {fc6.shape[0]} inputs, not a multiple of '
                         f'roi_size^2 = {roi_size ** 2}')
    fc6 = fc6.reshape(roi_size, roi_size, channels, -1).transpose(2, 0, 1, 3).reshape(fc6.shape[0], -1)
    out[f'{dst}shared_fcs.0.weight'] = _t(fc6.T)
    out[f'{dst}shared_fcs.0.bias'] = _t(_take(tree, f'{src}fc6/bias', used, source))
    out[f'{dst}shared_fcs.1.weight'] = _t(_take(tree, f'{src}fc7/kernel', used, source).T)
    out[f'{dst}shared_fcs.1.bias'] = _t(_take(tree, f'{src}fc7/bias', used, source))
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


def convert_dito_flax(flat: Mapping[str, np.ndarray], source: str = 'checkpoint', text_dim: int = 0,
                      roi_size: int = 7) -> Tuple[Dict[str, torch.Tensor], Dict[str, object]]:
    """Released DITO parameters (a detector or a pre-trained file) -> our ``DITOFasterRCNN`` state dict.

    Args:
        flat: the Flax tree flattened with ``/``.
        source: file name for error messages.
        text_dim: text embedding width; equal to the ViT width gives ``proj`` = identity (ViT-L/16: 1024).
        roi_size: RoIAlign output side of the box head.

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
        state.update(vit_state(tree, 'vision_model/', 'backbone.', used, source, text_dim))
        if any(k.startswith('frozen_vision_model/') for k in tree):
            state.update(vit_state(tree, 'frozen_vision_model/', 'vlm.backbone.', used, source, text_dim))
        heads = 'task_heads_0/'
    elif 'conv1/kernel' in tree:
        kind = 'pretrained'  # the pre-trained ViT initialises both the detector's and the frozen one (gin filters)
        state.update(vit_state(tree, '', 'backbone.', used, source, text_dim))
        state.update(vit_state(tree, '', 'vlm.backbone.', set(), source, text_dim))
        heads = ''
    else:
        raise KeyError(f'{source}: neither a DITO detector tree (vision_model/...) nor a pre-trained ViT tree '
                       f'(conv1/kernel, ...) after stripping {root or "no root"!r}')
    if any(k.startswith(f'{heads}fastrcnn_head_fn/') for k in tree):
        state.update(box_head_state(tree, f'{heads}fastrcnn_head_fn/', 'roi_head.bbox_head.', used, source,
                                    roi_size))
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
