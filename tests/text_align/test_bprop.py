"""B-PROP: divergence-from-randomness scores by hand, zero-free Poisson lengths, pair construction, batched attention
extraction equal to one-document passes (and cached), and the ROP margin ranking + MLM loss."""
import math

import numpy as np
import pytest
import torch

from tiny_bert import write_tiny_bert


def test_dfr_scores_collection_distribution_and_saturation_by_hand():
    from text_align.data import collection_distribution, dfr_scores, saturate
    assert saturate({'a': 0.01, 'b': 0.09}) == pytest.approx({'a': 0.5, 'b': 0.9})
    assert collection_distribution([{'a': 1.0, 'b': 0.5}, {'a': 0.5}]) == pytest.approx({'a': 0.75, 'b': 0.25})
    doc = {'apple': 1.0, 'the': 3.0, 'x1': 1.0, 'rare': 5.0}
    collection = {'apple': 0.25, 'the': 0.5, 'x1': 0.25, 'rare': 1e-300}
    scores = dfr_scores(doc, collection)
    # p_doc = 0.1, 0.3, (x1 dropped: not alphabetic), 0.5; -log2 p_rand = 2, 1, 996.6 -> 0.2, 0.3, capped 100
    assert scores == pytest.approx({'apple': 0.2, 'the': 0.3, 'rare': 100.0})


def test_poisson_lengths_have_no_zeros_and_follow_the_zero_truncated_law():
    from text_align.data import poisson_lengths
    lengths = np.array(poisson_lengths(20000, 3.0, np.random.default_rng(0)))
    assert lengths.min() == 1
    p0 = math.exp(-3)
    assert lengths.mean() == pytest.approx(3 / (1 - p0), abs=0.05)
    assert np.mean(lengths == 1) == pytest.approx(3 * p0 / (1 - p0), abs=0.01)


def test_word_set_pairs_put_the_higher_scoring_set_first():
    from text_align.data import word_set_pairs
    scores = {w: float(i) for i, w in enumerate('abcdefghijkl')}
    pairs = word_set_pairs(scores, num_pairs=50, rng=np.random.default_rng(1))
    assert len(pairs) == 50
    for pos, neg in pairs:
        assert len(pos) == len(neg) >= 1 and len(set(pos)) == len(pos)  # without replacement: 12 words > length
        assert sum(scores[w] for w in pos) >= sum(scores[w] for w in neg)
    assert any(sum(scores[w] for w in p) > sum(scores[w] for w in n) for p, n in pairs)


def test_batched_attention_equals_single_document_passes_and_is_cached(tmp_path, monkeypatch):
    from transformers import AutoModel, AutoTokenizer

    from text_align.data import saturate, word_attention_from_tokens
    from text_align.methods import document_term_weights
    path = write_tiny_bert(tmp_path / 'tb')
    docs = ['The cat sat on the mat while the Cat slept', 'Markets rallied today', 'the cat']
    cache = tmp_path / 'cache.json'
    batched = document_term_weights(docs, path, batch_size=3, cache_file=str(cache), progress=False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, attn_implementation='eager').eval()
    for doc, got in zip(docs, batched):
        enc = tokenizer(doc.split(), is_split_into_words=True, return_tensors='pt')
        with torch.no_grad():
            row = model(**enc, output_attentions=True).attentions[-1].mean(1)[0, 0]
        expected = saturate(word_attention_from_tokens(doc.split(), enc.word_ids(0), row.tolist()))
        assert got == pytest.approx(expected, rel=1e-5)
    assert set(batched[0]) == {'the', 'cat', 'sat', 'on', 'mat', 'while', 'slept'}  # occurrences summed, lower-cased
    monkeypatch.setattr(AutoModel, 'from_pretrained', lambda *a, **k: pytest.fail('the cache was not used'))
    assert document_term_weights(docs, path, cache_file=str(cache), progress=False) == batched


def test_rop_margin_ranking_on_softmaxed_pair_scores_plus_mlm(tmp_path):
    from text_align.data import bprop_collate
    from text_align.methods import BPROP
    path = write_tiny_bert(tmp_path / 'tb')
    torch.manual_seed(0)
    model = BPROP(path).eval()
    rows = [dict(document='the market rallied on strong earnings today', positive='market earnings', negative='the'),
            dict(document='a storm hit the coast overnight', positive='storm coast', negative='a overnight')]
    torch.manual_seed(0)
    batch = bprop_collate(rows, path, max_length=64, mlm_probability=0.3)
    labels, ids = batch['inputs']['mlm_labels'], batch['inputs']['pairs']['input_ids']
    special = (ids == 101) | (ids == 102) | (ids == 0)
    assert (labels[special] == -100).all() and (labels != -100).any()
    with torch.no_grad():
        out = model(batch['inputs'], mode='loss')
        s = model(batch['inputs'], mode='tensor').view(2, 2)
    p = torch.softmax(s, dim=1)
    assert out['loss_rop'].item() == pytest.approx(torch.clamp(1 - (p[:, 0] - p[:, 1]), min=0).mean().item(),
                                                   rel=1e-6)
    logits = model.bert.cls.predictions(model.bert.bert(**batch['inputs']['pairs']).last_hidden_state)
    keep = labels != -100
    assert out['loss_mlm'].item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits[keep], labels[keep]).item(), rel=1e-5)
