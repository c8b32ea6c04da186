"""Prompt learner (no 3-token limit on class names, clear error past 77) and the text-embedding cache."""
import math

import pytest
import torch

from dense_align.clip import ClipBPETokenizer, CLIPTextTransformer, ContextPromptLearner, TextEmbeddingCache

CLASSES = ['red circle', 'chest of drawers', 'a very unusually long and descriptive class name for a thing']


@pytest.fixture(scope='module')
def tokenizer():
    return ClipBPETokenizer()


@torch.no_grad()
def test_context_set_to_words_equals_the_hand_written_prompt(tokenizer):
    torch.manual_seed(0)
    encoder = CLIPTextTransformer('tiny').eval()
    learner = ContextPromptLearner(CLASSES, num_context=4, embed_dim=32, tokenizer=tokenizer)
    learner.context.copy_(encoder.token_embedding(torch.tensor(tokenizer.encode('a photo of a'))))
    longest = max(len(tokenizer.encode(c)) for c in CLASSES)
    assert learner.context_length == 1 + 4 + longest + 1 > 1 + 4 + 3 + 1  # longer than DenseCLIP's 3-token names
    want = encoder(tokenizer([f'a photo of a {c}' for c in CLASSES]))
    assert torch.allclose(learner(encoder), want, atol=1e-5)


def test_context_vectors_get_gradients(tokenizer):
    encoder = CLIPTextTransformer('tiny')
    learner = ContextPromptLearner(CLASSES[:2], num_context=3, embed_dim=32, tokenizer=tokenizer)
    learner(encoder).sum().backward()
    assert learner.context.grad is not None and learner.context.grad.abs().sum() > 0


def test_names_that_cannot_fit_are_named(tokenizer):
    huge = 'a ' + 'really ' * 80 + 'big class'
    with pytest.raises(ValueError, match=r"class name 'a really .*big class' needs 83 tokens.*more than the "
                                         r'context length 77'):
        ContextPromptLearner(['cat', huge], num_context=8, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="'chest of drawers'"):
        ContextPromptLearner(['cat', 'chest of drawers'], num_context=8, context_length=12, tokenizer=tokenizer)
    with pytest.raises(ValueError, match='empty'):
        ContextPromptLearner([], tokenizer=tokenizer)


def test_text_embedding_cache_recomputes_only_on_change(tokenizer):
    encoder = CLIPTextTransformer('tiny').eval()
    cache = TextEmbeddingCache()
    names = ['cat', 'dog']

    def compute(class_names):
        return lambda: encoder(tokenizer(class_names))

    with torch.no_grad():
        first = cache.get([encoder], names, compute(names))
        assert cache.get([encoder], names, compute(names)) is first and cache.computations == 1
        cache.get([encoder], ['cat', 'bird'], compute(['cat', 'bird']))
        assert cache.computations == 2
        cache.get([encoder], ['cat', 'bird'], compute(['cat', 'bird']))
        assert cache.computations == 2
    optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
    encoder(tokenizer(names)).sum().backward()  # training step: gradients on, not cached
    optimizer.step()
    assert cache.computations == 2
    with torch.no_grad():
        after = cache.get([encoder], names, compute(names))
        assert cache.computations == 3 and not torch.allclose(after, first)
        encoder.load_state_dict(encoder.state_dict())
        cache.get([encoder], names, compute(names))
        assert cache.computations == 4


def test_context_init_is_the_reference_truncated_standard_normal(tokenizer):
    # DenseCLIP (@5eda47f) initialises its contexts with nn.init.trunc_normal_ defaults: std 1, cut at +-2. The
    # variance of a standard normal truncated to [-2, 2] is 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.77374 (std 0.8796).
    torch.manual_seed(0)
    context = ContextPromptLearner(['cat'], num_context=8, embed_dim=4096, tokenizer=tokenizer).context.detach()
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert abs(context.std().item() - math.sqrt(1 - 4 * phi2 / mass)) < 0.01
    assert abs(context.mean().item()) < 0.03 and 1.99 < context.abs().max().item() <= 2.0
