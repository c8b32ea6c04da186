"""The lean BERT forward (``fast_bert_forward``) against transformers' ``BertModel`` on the shipped MiniLM: the same
token states (real tokens) and gradients, the nn.Dropout probabilities a method sets, the weight cache following
in-place updates, and the plain forward for layers a method replaced or hooked."""
import numpy as np
import pytest
import torch
from torch import nn

from minilm import minilm_path
from text_align.encoders import TextEncoder
from text_align.encoders.fast_bert import QKVCache, fast_bert_forward, fast_bert_supported

TEXTS = ['A man is playing a guitar.', 'ok', 'Contrastive learning pulls paraphrases together and pushes the rest '
         'apart in the embedding space.', '']


@pytest.fixture(scope='module')
def encoder():
    return TextEncoder(minilm_path())


def _tokens(encoder, texts=TEXTS):
    return encoder.tokenize(texts)


def test_inference_equals_bert_model_on_real_tokens(encoder):
    model = encoder.backbone.eval()
    for texts in (TEXTS, ['same length one', 'same length two']):  # padded, and no padding at all
        tokens = _tokens(encoder, texts)
        real = tokens['attention_mask'].bool()
        with torch.inference_mode():
            ref = model(**tokens).last_hidden_state
            ours = fast_bert_forward(model, tokens['input_ids'], tokens['attention_mask'], tokens['token_type_ids'])
        torch.testing.assert_close(ours[real], ref[real], atol=1e-5, rtol=0)
        if (~real).any():
            assert ours[~real].abs().max() == 0


def test_encode_equals_the_plain_forward_and_sorts_by_tokens(encoder):
    plain = TextEncoder(minilm_path(), fast_forward=False)
    texts = TEXTS * 5
    ours = encoder.encode(texts, batch_size=3)
    np.testing.assert_allclose(ours, plain.encode(texts, batch_size=3), atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours[:4], ours[4:8], atol=1e-6, rtol=0)  # same text, other batch: same vector
    tensor = encoder.encode(texts[:2], convert_to_tensor=True)
    assert not tensor.is_inference() and (tensor * nn.Parameter(torch.ones(384))).sum().requires_grad


def test_gradients_equal_bert_model(encoder):
    model = encoder.backbone.eval()  # eval: no dropout, so both are deterministic
    tokens = _tokens(encoder)
    real = tokens['attention_mask'].bool()

    def grads(fn):
        model.zero_grad(set_to_none=True)
        (fn()[real] ** 2).sum().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    ref = grads(lambda: model(**tokens).last_hidden_state)
    ours = grads(lambda: fast_bert_forward(model, tokens['input_ids'], tokens['attention_mask'],
                                           tokens['token_type_ids']))
    assert ref.keys() == ours.keys()
    scale = max(g.abs().max() for g in ref.values())
    for name in ref:  # the key biases' true gradient is 0 (softmax ignores a shift): rounding noise only
        torch.testing.assert_close(ours[name], ref[name], atol=1e-5 * scale, rtol=0, msg=name)


def test_dropout_follows_the_modules_not_the_config(encoder):
    model = encoder.backbone
    tokens = _tokens(encoder)
    args = (tokens['input_ids'], tokens['attention_mask'], tokens['token_type_ids'])
    with torch.no_grad():
        evaluated = fast_bert_forward(model.eval(), *args)
        saved = {m: m.p for m in model.modules() if isinstance(m, nn.Dropout)}
        try:
            for m in saved:
                m.p = 0.0  # config.hidden_dropout_prob stays 0.1
            torch.testing.assert_close(fast_bert_forward(model.train(), *args), evaluated, atol=1e-6, rtol=0)
            for m in saved:
                m.p = 0.5
            assert (fast_bert_forward(model.train(), *args) - evaluated).abs().max() > 0.1
        finally:
            for m, p in saved.items():
                m.p = p
            model.eval()


def _forward_follows_in_place_update(model, tokens, cache: QKVCache, weight: torch.Tensor, factor: float,
                                     check_cache=None) -> None:
    """Run the fast forward once (filling ``cache``), scale ``weight`` in place, and check the next fast forward equals
    transformers' on the updated weights; ``check_cache(cache)`` runs after the first forward. The weight is restored.
    """
    real = tokens['attention_mask'].bool()
    original = weight.detach().clone()
    try:
        with torch.inference_mode():
            fast_bert_forward(model, tokens['input_ids'], tokens['attention_mask'], cache=cache)
        if check_cache is not None:
            check_cache(cache)
        with torch.no_grad():
            weight.mul_(factor)
        with torch.inference_mode():
            ours = fast_bert_forward(model, tokens['input_ids'], tokens['attention_mask'], cache=cache)
            ref = model(**tokens).last_hidden_state
        torch.testing.assert_close(ours[real], ref[real], atol=1e-5, rtol=0)
    finally:
        with torch.no_grad():
            weight.copy_(original)


def test_weight_cache_follows_in_place_updates(encoder):
    model = encoder.backbone.eval()
    _forward_follows_in_place_update(model, _tokens(encoder), QKVCache(),
                                     model.encoder.layer[0].attention.self.query.weight, 2.0)


def test_packed_linear_weights_follow_updates_and_copy(encoder):
    import copy
    model = encoder.backbone.eval()

    def check_cache(cache: QKVCache) -> None:
        if torch.backends.mkldnn.is_available():  # 3 linear weights per layer here (QKV: packed in .weights)
            assert len(cache.packed) == 3 * len(model.encoder.layer)
            assert all(entry[1].is_mkldnn for entry in cache.packed.values())
        assert len(copy.deepcopy(cache).packed) == 0  # a copied model (e.g. a momentum encoder) starts afresh

    # a weight outside the query/key/value cache
    _forward_follows_in_place_update(model, _tokens(encoder), QKVCache(), model.encoder.layer[2].output.dense.weight,
                                     1.5, check_cache)


def test_replaced_or_hooked_layers_take_the_plain_forward(encoder):
    model = encoder.backbone
    assert fast_bert_supported(model)
    layer = model.encoder.layer[-1]
    handle = layer.output.register_forward_hook(lambda *a: None)
    assert not fast_bert_supported(model)
    handle.remove()
    original = layer.intermediate
    layer.intermediate = nn.Sequential(original)  # as DomainExpertEncoder swaps in routed experts
    try:
        assert not fast_bert_supported(model)
    finally:
        layer.intermediate = original
    assert fast_bert_supported(model)
