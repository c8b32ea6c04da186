"""Context decoder dropout sits where the reference (DenseCLIP ``TransformerDecoderLayer``, @5eda47f) puts it: after
each attention output projection and after the MLP (plus the MLP's inner dropout), never on attention probabilities."""
import torch

from dense_align.denseclip.context_decoder import ContextDecoder


def capture(module: torch.nn.Module, store: dict, name: str) -> None:
    module.register_forward_hook(lambda _m, _i, out: store.__setitem__(name, out.detach().clone()))


def dropped_or_scaled(out: torch.Tensor, before: torch.Tensor, p: float) -> torch.Tensor:
    """True where ``out`` is ``before / (1 - p)``; asserts every other element is exactly 0."""
    kept = torch.isclose(out, before / (1 - p), atol=1e-6)
    assert torch.all(kept | (out == 0))
    return kept


def test_dropout_after_projections_and_mlp_not_on_attention_weights():
    torch.manual_seed(0)
    p = 0.5
    decoder = ContextDecoder(query_dim=16, memory_dim=16, width=32, heads=4, layers=1, dropout=p)
    layer = decoder.decoder[0]
    assert isinstance(layer.self_attn.proj_drop, torch.nn.Dropout) and layer.self_attn.proj_drop.p == p
    assert isinstance(layer.dropout, torch.nn.Dropout) and isinstance(layer.mlp[2], torch.nn.Dropout)
    seen: dict = {}
    for name in ('self_attn', 'cross_attn', 'mlp'):
        capture(getattr(layer, name), seen, name)
        if name != 'mlp':
            capture(getattr(layer, name).proj, seen, name + '.proj')
    capture(decoder.query_proj, seen, 'x')
    out_layer: dict = {}
    capture(layer, out_layer, 'out')
    queries, memory = torch.randn(2, 5, 16), torch.randn(2, 7, 16)

    decoder.eval()
    decoder(queries, memory)
    eval_proj = seen['self_attn.proj']
    decoder.train()
    decoder(queries, memory)
    # the self-attention's projected output is the same as in eval mode: attention probabilities are not dropped
    assert torch.allclose(seen['self_attn.proj'], eval_proj, atol=1e-6)
    fractions = []
    for name in ('self_attn', 'cross_attn'):
        kept = dropped_or_scaled(seen[name], seen[name + '.proj'], p)
        fractions.append(kept.float().mean().item())
    x1 = seen['x'] + seen['self_attn']
    x2 = x1 + seen['cross_attn']
    kept = dropped_or_scaled(out_layer['out'] - x2, seen['mlp'], p)  # residual = Dropout(MLP(LN x))
    fractions.append(kept.float().mean().item())
    assert all(0.3 < f < 0.7 for f in fractions), fractions
