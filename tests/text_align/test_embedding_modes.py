"""The ``'predict'`` and ``'tensor'`` modes every one-embedding-per-text method shares: each returns what its encoder
(or its own inference head: SimCSE's MLP with ``mlp_in_eval``, CCP's fitted whitening) gives for the same tokens, and
the STS-pair layout adds each pair's cosine similarity."""
import pytest
import torch
import torch.nn.functional as F

from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

TEXTS = ['a cat sat on the mat', 'stock markets fell sharply today', 'the match ended in a draw']
OTHER = ['a dog lay on the rug', 'shares dropped on monday', 'rain is expected tomorrow']
METHODS = dict(
    SimCSE=dict(mlp_head=True, mlp_in_eval=True),
    Contriever=dict(queue_size=8),
    SyCL=dict(),
    CCP=dict(bank_size=8),
    SPACE2=dict(dropout=0.0),
    SupReMix=dict(),
    RTDContrastive=dict(),
)


def build(name: str, path: str):
    from mmengine.registry import init_default_scope
    from text_align.registry import MODELS
    init_default_scope('text_align')
    torch.manual_seed(0)
    model = MODELS.build(dict(type=name, encoder=dict(type='TextEncoder', model_path=path), **METHODS[name])).eval()
    if name == 'CCP':  # a fitted whitening, so that predict/tensor must go through it
        with torch.no_grad():
            model.fit_whitening(torch.randn(64, model.encoder.embedding_dim, generator=torch.Generator().manual_seed(1)))
    return model


def reference(model, tokens: dict) -> torch.Tensor:
    """The inference embedding, written out from the model's parts."""
    plain = model.encoder(**tokens)
    if type(model).__name__ == 'SimCSE':
        return model.mlp(plain)
    if type(model).__name__ == 'CCP':
        return model.whitening(plain)
    return plain


@pytest.mark.parametrize('name', list(METHODS))
def test_predict_and_tensor_give_the_inference_embedding(tiny_bert, name):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    model = build(name, tiny_bert)
    tokens = dict(tokenizer(TEXTS, padding=True, return_tensors='pt'))
    with torch.no_grad():
        expected = reference(model, tokens)
        if name == 'CCP':  # the whitening really changes the vectors
            assert not torch.allclose(expected, model.encoder(**tokens))
        torch.testing.assert_close(model(dict(text=tokens), mode='tensor'), expected)
        rows = model(dict(text=tokens), [dict(sample_idx=i) for i in range(3)], mode='predict')
    assert [row['sample_idx'] for row in rows] == [0, 1, 2]
    torch.testing.assert_close(torch.stack([row['embedding'] for row in rows]), expected)
    assert rows[0]['embedding'].device.type == 'cpu' and not rows[0]['embedding'].requires_grad


@pytest.mark.parametrize('name', ['SimCSE', 'CCP'])
def test_predict_on_sentence_pairs_adds_the_cosine_similarity(tiny_bert, name):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    model = build(name, tiny_bert)
    first, second = (dict(tokenizer(t, padding=True, return_tensors='pt')) for t in (TEXTS, OTHER))
    with torch.no_grad():
        expected = F.cosine_similarity(reference(model, first), reference(model, second), dim=-1)
        rows = model(dict(sentence1=first, sentence2=second), [dict(score=1.0) for _ in TEXTS], mode='predict')
    assert [row['similarity'] for row in rows] == pytest.approx(expected.tolist(), abs=1e-6)
    assert all(isinstance(row['similarity'], float) for row in rows)


@pytest.mark.parametrize('name', ['SimCSE', 'Contriever', 'SyCL', 'CCP'])
def test_tensor_embeds_the_first_column_of_any_layout(tiny_bert, name):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    model = build(name, tiny_bert)
    first, second = (dict(tokenizer(t, padding=True, return_tensors='pt')) for t in (TEXTS, OTHER))
    with torch.no_grad():
        torch.testing.assert_close(model(dict(anchor=first, positive=second), mode='tensor'), reference(model, first))


@pytest.mark.parametrize('name', list(METHODS))
def test_an_unknown_mode_or_layout_is_refused_with_the_method_name(tiny_bert, name):
    from transformers import AutoTokenizer
    model = build(name, tiny_bert)
    tokens = dict(AutoTokenizer.from_pretrained(tiny_bert)(TEXTS, padding=True, return_tensors='pt'))
    with pytest.raises(ValueError, match=f'{name}: .*mode.*\'embed\''):
        model(dict(text=tokens), mode='embed')
    if name not in ('SupReMix', 'RTDContrastive'):  # those two ask for "text" in every mode
        with pytest.raises(KeyError, match=f'{name}: predict needs a "text" column'):
            model(dict(anchor=tokens), [dict() for _ in TEXTS], mode='predict')
