"""A leaner forward for Hugging Face BERT encoders (BERT, MiniLM, ...): the same arithmetic as ``BertModel`` on the
real tokens only, with fewer kernels.

What it changes, per layer:
- padding is dropped: every matrix multiply, LayerNorm and GELU runs on the batch's real tokens only (packed);
  only attention sees the padded (B, L) layout, with the padded keys masked. Padded positions of the output are 0
  (``BertModel`` computes values there that no pooling reads);
- query, key and value in one matrix multiply (the three weights concatenated; cached between inference calls until
  a weight changes);
- PyTorch's fused ``scaled_dot_product_attention``, with no mask when the batch has no padding;
- at inference on a float32 CPU tensor, the linear layers run on oneDNN with the feed-forward's GELU fused in, their
  weights kept in oneDNN's packed layout between calls (a copy of the encoder's linear weights, rebuilt when one
  changes), which saves oneDNN's reordering of every weight on every call;
- none of ``BertModel``'s per-call mask building, output containers or pooler.

Training (autograd, dropout) is supported: dropout sits where ``BertModel`` has it (embeddings, attention
probabilities, both residual branches) with the probabilities of its ``nn.Dropout`` modules (so a method
that sets them is followed), drawn in another order than
``BertModel``'s. Outputs and gradients equal ``BertModel``'s on the real tokens within float rounding.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn


_LAYER_PARTS = (('attention', 'BertAttention'), ('attention.self', 'BertSelfAttention'),
                ('attention.output', 'BertSelfOutput'), ('intermediate', 'BertIntermediate'),
                ('output', 'BertOutput'), ('intermediate.intermediate_act_fn', 'GELUActivation'))


def _get(module: nn.Module, dotted: str) -> object:
    for name in dotted.split('.'):
        module = getattr(module, name, None)
    return module


def fast_bert_supported(backbone: nn.Module) -> bool:
    """Whether :func:`fast_bert_forward` reproduces ``backbone`` as it is now: a transformers ``BertModel`` encoder
    (not a decoder) with absolute positions, erf-GELU, its own unmodified layer modules (a method that swaps one,
    e.g. for routed experts, or that hooks one, gets the plain forward) and no gradient checkpointing.

    Args:
        backbone: the loaded transformers model.

    Returns:
        True when the fast forward applies.
    """
    config = getattr(backbone, 'config', None)
    if (config is None or getattr(config, 'model_type', None) != 'bert' or getattr(config, 'is_decoder', False)
            or getattr(config, 'add_cross_attention', False)
            or getattr(config, 'position_embedding_type', 'absolute') != 'absolute'
            or type(getattr(backbone, 'embeddings', None)).__name__ != 'BertEmbeddings'):
        return False
    layers = getattr(getattr(backbone, 'encoder', None), 'layer', None)
    if layers is None or not all(type(layer).__name__ == 'BertLayer' and all(
            type(_get(layer, part)).__name__ == cls for part, cls in _LAYER_PARTS) for layer in layers):
        return False
    if any(getattr(layer, 'gradient_checkpointing', False)
           or getattr(_get(layer, 'intermediate.intermediate_act_fn'), 'act', F.gelu) is not F.gelu for layer in layers):
        return False
    return not any(m._forward_hooks or m._forward_pre_hooks for m in backbone.modules())


def _onednn(x: torch.Tensor) -> bool:
    return (x.device.type == 'cpu' and x.dtype == torch.float32 and not torch.is_grad_enabled()
            and torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, '_linear_pointwise'))


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, act: str = 'none') -> torch.Tensor:
    """``act(x @ weight.T + bias)`` for 2-D ``x``: one oneDNN call with the activation fused for a float32 CPU
    tensor without autograd, else ``F.linear`` (+ erf ``F.gelu``)."""
    if _onednn(x):
        return torch.ops.mkldnn._linear_pointwise(x, weight, bias, act, [], 'none' if act == 'gelu' else '')
    out = F.linear(x, weight, bias)
    return F.gelu(out) if act == 'gelu' else out


def _qkv(layer: nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    attn = layer.attention.self
    return (torch.cat([attn.query.weight, attn.key.weight, attn.value.weight]),
            torch.cat([attn.query.bias, attn.key.bias, attn.value.bias]))


def _pack(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` in oneDNN's packed layout for :func:`_linear` (float32 CPU weights where oneDNN can pack), else
    unchanged."""
    if (weight.device.type == 'cpu' and weight.dtype == torch.float32 and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, '_reorder_linear_weight')):
        return torch.ops.mkldnn._reorder_linear_weight(weight.detach(), 1024)  # 1024: a row-count hint
    return weight


class QKVCache:
    """Inference weights: the concatenated query/key/value weights of every layer and every linear weight in
    oneDNN's packed layout (:func:`_pack`), each rebuilt when its parameters change (version counter or storage), so
    that training between two inference calls is picked up."""

    def __init__(self) -> None:
        self.key: Optional[Tuple] = None
        self.weights: List[Tuple[torch.Tensor, torch.Tensor]] = []
        self.packed: Dict[int, Tuple[Tuple, torch.Tensor]] = {}

    def __deepcopy__(self, memo: dict) -> 'QKVCache':
        return QKVCache()  # a copied model has other parameters; packed oneDNN tensors cannot be copied anyway

    def __getstate__(self) -> dict:
        return {}  # rebuilt on the next inference call

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def weight(self, param: torch.Tensor) -> torch.Tensor:
        """``param`` (a linear layer's weight) packed for inference, cached until it changes.

        Args:
            param: the weight parameter.

        Returns:
            The packed weight (or ``param`` itself where oneDNN cannot pack it).
        """
        key = (param.data_ptr(), param._version, param.device, param.dtype)
        entry = self.packed.get(id(param))
        if entry is None or entry[0] != key:
            with torch.no_grad():
                entry = self.packed[id(param)] = (key, _pack(param))
        return entry[1]

    def get(self, layers: nn.ModuleList) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        """Args:
            layers: the encoder's ``BertLayer`` list.

        Returns:
            ``(weight (3H, H), bias (3H,))`` per layer, without autograd.
        """
        params = [p for layer in layers for lin in (layer.attention.self.query, layer.attention.self.key,
                                                    layer.attention.self.value) for p in (lin.weight, lin.bias)]
        key = tuple((p.data_ptr(), p._version, p.device, p.dtype) for p in params)
        if key != self.key:
            with torch.no_grad():
                self.weights = [(_pack(w), b) for w, b in (_qkv(layer) for layer in layers)]
            self.key = key
        return self.weights


def _same(weight: torch.Tensor) -> torch.Tensor:
    return weight


def _norm(x: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
    return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)


def fast_bert_forward(backbone: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                      token_type_ids: Optional[torch.Tensor] = None,
                      cache: Optional[QKVCache] = None) -> torch.Tensor:
    """``backbone(input_ids, attention_mask, token_type_ids).last_hidden_state`` on the real tokens (padded
    positions are 0), in the backbone's train/eval mode, with autograd when it is enabled.

    Args:
        backbone: a model for which :func:`fast_bert_supported` holds.
        input_ids: (B, L) token ids.
        attention_mask: (B, L), 1 for real tokens (any padding side).
        token_type_ids: (B, L) or None (all zeros).
        cache: where the concatenated query/key/value weights are kept between inference calls (owned by the
            caller; None: concatenated for this call).

    Returns:
        (B, L, H) token states.
    """
    config, emb = backbone.config, backbone.embeddings
    batch, length = input_ids.shape
    heads, width = config.num_attention_heads, config.hidden_size
    train = backbone.training
    types = emb.token_type_embeddings.weight[0] if token_type_ids is None else emb.token_type_embeddings(
        token_type_ids)
    x = emb.word_embeddings(input_ids) + emb.position_embeddings.weight[:length] + types
    x = F.dropout(_norm(x, emb.LayerNorm), emb.dropout.p, train).reshape(batch * length, width)
    keep, mask = None, None
    if not bool(attention_mask.all()):
        keep = attention_mask.reshape(-1).nonzero().squeeze(1)  # rows of the real tokens
        x = x.index_select(0, keep)
        mask = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, L): the keys that may be attended to
    layers = backbone.encoder.layer
    if torch.is_grad_enabled() or not _onednn(x):
        qkv_weights = [_qkv(layer) for layer in layers]
        weight = _same
    else:  # oneDNN inference: packed weights, cached between calls
        cache = cache or QKVCache()
        qkv_weights, weight = cache.get(layers), cache.weight
    for layer, (qkv_w, qkv_b) in zip(layers, qkv_weights):
        qkv = _linear(x, qkv_w, qkv_b)
        if keep is not None:
            qkv = qkv.new_zeros(batch * length, 3 * width).index_copy(0, keep, qkv)
        qkv = qkv.view(batch, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask,
                                              dropout_p=layer.attention.self.dropout.p if train else 0.0)
        attn = attn.transpose(1, 2).reshape(batch * length, width)
        if keep is not None:
            attn = attn.index_select(0, keep)
        out = layer.attention.output
        attn = F.dropout(_linear(attn, weight(out.dense.weight), out.dense.bias), out.dropout.p, train)
        x = _norm(attn + x, out.LayerNorm)
        inner = _linear(x, weight(layer.intermediate.dense.weight), layer.intermediate.dense.bias, 'gelu')
        out = layer.output
        x = _norm(F.dropout(_linear(inner, weight(out.dense.weight), out.dense.bias), out.dropout.p, train) + x,
                  out.LayerNorm)
    if keep is not None:
        x = x.new_zeros(batch * length, width).index_copy(0, keep, x)
    return x.view(batch, length, width)
