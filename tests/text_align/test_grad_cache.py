"""GradCache: the mini-batched gradient equals the full-batch gradient, and dropout masks are replayed."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope

from text_align.losses import grad_cache_backward
from text_align.registry import MODELS
from tiny_bert import write_tiny_bert


@pytest.fixture(scope='module')
def simcse(tmp_path_factory):
    init_default_scope('text_align')
    path = write_tiny_bert(tmp_path_factory.mktemp('tiny_bert'))
    return MODELS.build(dict(type='SimCSE', encoder=dict(type='TextEncoder', model_path=path)))


def grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize('layout', ['supervised', 'unsupervised'])
def test_mini_batched_gradient_equals_the_full_batch_gradient(simcse, layout):
    model = copy.deepcopy(simcse).train()
    for module in model.modules():  # without dropout the full pass and the mini-batches see the same network
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    texts = [f'sentence {i} about a topic number {i % 3}' for i in range(10)]
    tok = model.encoder.tokenize
    inputs = (dict(anchor=tok(texts), positive=tok(texts[::-1]), negative=tok(texts[1:] + texts[:1]))
              if layout == 'supervised' else dict(text=tok(texts)))
    model.zero_grad()
    full = model.loss(inputs)['loss_contrastive']
    full.backward()
    expected = grads(model)
    model.zero_grad()
    cached = grad_cache_backward(model.embed, model.columns(inputs), model.contrastive_loss, 3,
                                 lambda t: t.backward())
    torch.testing.assert_close(cached, full.detach())
    actual = grads(model)
    assert expected.keys() == actual.keys() and len(actual) > 10
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-5, rtol=1e-4)


def test_dropout_masks_are_replayed(simcse):
    model = copy.deepcopy(simcse).train()
    tokens = model.encoder.tokenize(['one sentence', 'another sentence', 'a third one'])
    seen = []

    def embed(chunk):
        out = model.embed(chunk)
        seen.append(out.detach().clone())
        return out

    grad_cache_backward(embed, dict(query=tokens, positive=tokens), model.contrastive_loss, 2,
                        lambda t: t.backward())
    # passes: no-grad (query 2 chunks, positive 2 chunks), then the same 4 chunks with a graph
    for first, second in zip(seen[:4], seen[4:]):
        torch.testing.assert_close(first, second)
    assert not torch.allclose(seen[0], seen[2])  # the two views still differ (different masks)
