"""uCLIP pieces: head parameter count, soft retrieval against brute force, noise, the released losses, banks cached
and memory-mapped, and the bad-input errors."""
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dense_align.registry import MODELS
from dense_align.uclip import (NOISE_STD, MultilingualCaptionDataset, MultilingualRetrievalMetric, UCLIPHead,
                               UCLIPModel, add_noise, build_bank, soft_retrieve, uclip_losses)

CLIP = dict(type='CLIPPretrainer',
            image_encoder=dict(type='CLIPViT', arch=dict(patch_size=8, width=32, layers=1, heads=2, output_dim=512,
                                                         image_size=16), out_indices=(-1, ), with_embeddings=True),
            text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=32, layers=1, heads=2, output_dim=512),
                              context_length=16))


@MODELS.register_module(force=True)
class HashedWordsEncoder(nn.Module):
    """A stand-in multilingual encoder for tests: the mean of fixed random word vectors."""

    def __init__(self, embedding_dim: int = 384) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.table = nn.Embedding(997, embedding_dim)

    def embed(self, texts):
        ids = [torch.tensor([sum(map(ord, w)) % 997 for w in t.split()] or [0]) for t in texts]
        return torch.stack([self.table(i).mean(0) for i in ids])


def test_trainable_parameters_as_released(monkeypatch):
    assert sum(p.numel() for p in UCLIPHead(384, 512).parameters()) == 690_944
    assert sum(p.numel() for p in UCLIPHead(512, 512).parameters()) == 1_052_160
    logged = []
    monkeypatch.setattr('dense_align.uclip.model.print_log', lambda msg, **kw: logged.append(msg))
    model = UCLIPModel(clip=CLIP, text_encoder=dict(type='HashedWordsEncoder'), text_dim=384, clip_dim=512)
    assert model.num_trainable_parameters() == 1_743_104  # the frozen encoders are not counted
    assert logged and logged[0].startswith('UCLIPModel: 1,743,104 trainable parameters')  # printed at build time


def test_width_mismatch_names_both_widths():
    with pytest.raises(ValueError, match=r'width 384.*text_dim=768'):
        UCLIPModel(clip=CLIP, text_encoder=dict(type='HashedWordsEncoder'), text_dim=768)
    with pytest.raises(ValueError, match=r'width 512.*clip_dim=64'):
        UCLIPModel(clip=CLIP, text_encoder=dict(type='HashedWordsEncoder'), clip_dim=64)


def test_soft_retrieval_matches_brute_force_and_streams_in_chunks():
    g = torch.Generator().manual_seed(0)
    query, bank = torch.randn(3, 6, generator=g), F.normalize(torch.randn(50, 6, generator=g), dim=-1)
    expected = []
    for q in F.normalize(query, dim=-1).double():
        w = [math.exp((q @ row).item() / 0.01) for row in bank.double()]
        avg = sum(wi * row for wi, row in zip(w, bank.double())) / sum(w)
        expected.append(avg / avg.norm())
    expected = torch.stack(expected).float()
    assert torch.allclose(soft_retrieve(query, bank, 0.01), expected, atol=1e-5)
    assert torch.allclose(soft_retrieve(query, torch.from_numpy(bank.numpy()), 0.01, chunk_size=7), expected,
                          atol=1e-5)
    assert NOISE_STD == pytest.approx(0.004**0.5)
    x = F.normalize(torch.randn(4, 6, generator=g), dim=-1)
    noisy = add_noise(x, generator=torch.Generator().manual_seed(3))
    ref = F.normalize(x + 0.004**0.5 * torch.randn(4, 6, generator=torch.Generator().manual_seed(3)), dim=-1)
    assert torch.allclose(noisy, ref)


def test_losses_match_the_released_formulas():
    g = torch.Generator().manual_seed(1)
    mul, eng, txt, img = (F.normalize(torch.randn(5, 8, generator=g), dim=-1) for _ in range(4))
    out = uclip_losses(mul, eng, txt, img, temperature=0.01, intra_weight=0.1)
    labels = torch.arange(5)

    def sym(a, b):  # released InterLoss: both directions at T = 0.01
        return (F.cross_entropy(a @ b.t() / 0.01, labels) + F.cross_entropy(b @ a.t() / 0.01, labels)) / 2

    assert out['loss_inter_text'].item() == pytest.approx(sym(eng, txt).item(), rel=1e-5)
    assert out['loss_inter_pseudo'].item() == pytest.approx(sym(mul, img).item(), rel=1e-5)
    intra = ((mul - eng + 1e-6).norm(dim=1) + (txt - img + 1e-6).norm(dim=1)).mean() / 2  # F.pairwise_distance
    assert out['loss_intra'].item() == pytest.approx(0.1 * intra.item(), rel=1e-5)


def test_bank_is_encoded_once_and_memory_mapped(tmp_path):
    calls = []

    def encode(items):
        calls.append(len(items))
        return torch.tensor([[float(len(s)), 1.0] for s in items])

    path = str(tmp_path / 'bank.npy')
    bank = build_bank(path, ['a', 'bb', 'ccc'], encode, batch_size=2)
    assert calls == [2, 1] and isinstance(bank, np.memmap)
    assert np.allclose(bank[1], np.array([2.0, 1.0]) / math.sqrt(5))
    assert isinstance(build_bank(path, ['a', 'bb', 'ccc'], encode), np.memmap) and calls == [2, 1]  # cached
    build_bank(path, ['a', 'bb'], encode)  # other sources: rebuilt
    assert calls == [2, 1, 2]


def test_missing_language_is_an_error_naming_it(tmp_path):
    rows = [dict(filename='1.png', captions_en='a red circle', captions_translated='ein roter Kreis')]
    (tmp_path / 'captions_de.json').write_text(json.dumps(rows))
    data = MultilingualCaptionDataset(languages=['en', 'de'], ann_pattern='captions_{lang}.json',
                                      data_root=str(tmp_path), lazy_init=False)
    assert data[0]['captions_by_lang'] == {'en': ['a red circle'], 'de': ['ein roter Kreis']}
    with pytest.raises(FileNotFoundError, match="'fi'"):
        MultilingualCaptionDataset(languages=['de', 'fi'], ann_pattern='captions_{lang}.json', data_root=str(tmp_path))
    metric = MultilingualRetrievalMetric(languages=['de', 'ro'])
    with pytest.raises(KeyError, match='ro'):
        metric.process({}, [dict(image_embed=torch.ones(2), text_embeds={'de': torch.ones(1, 2)}, img_id=1)])


def test_per_language_recall_counts():
    metric = MultilingualRetrievalMetric(languages=['en', 'de'], ks=(1, ))
    eye = torch.eye(3)
    for i in range(3):  # English perfect; German caption of image i points at image (i + 1) % 3
        metric.process({}, [dict(image_embed=eye[i], text_embeds={'en': eye[i:i + 1], 'de': eye[(i + 1) % 3][None]})])
    out = metric.evaluate(3)
    assert out['multilingual/en/i2t_R@1'] == 100.0 and out['multilingual/en/t2i_R@1'] == 100.0
    assert out['multilingual/de/i2t_R@1'] == 0.0 and out['multilingual/de/t2i_R@1'] == 0.0
