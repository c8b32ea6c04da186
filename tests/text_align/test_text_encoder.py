"""TextEncoder: same embeddings as sentence-transformers on the shipped MiniLM, export back to its format, and the
handled edge cases (empty strings, over-long texts, a folder without a tokenizer)."""
import shutil

import numpy as np
import pytest
import torch

from minilm import minilm_path
from text_align.encoders import TextEncoder, pool

SENTENCES = ['A man is playing a guitar.', 'A woman slices tomatoes in the kitchen.', '',
             'Contrastive learning pulls paraphrases together. ' * 80, 'ok']


@pytest.fixture(scope='module')
def encoder():
    return TextEncoder(minilm_path())


@pytest.fixture(scope='module')
def reference():
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(minilm_path(), device='cpu')


def test_embeddings_equal_sentence_transformers(encoder, reference):
    assert (encoder.pooling, encoder.normalize, encoder.max_length) == ('mean', True, 256)
    ours = encoder.encode(SENTENCES, batch_size=2)
    theirs = reference.encode(SENTENCES, batch_size=2)
    assert ours.shape == (5, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert np.isfinite(ours[2]).all()  # the empty string
    assert encoder.encode('ok', convert_to_tensor=True).shape == (384, )
    loader = torch.utils.data.DataLoader([dict(text=t) for t in SENTENCES], batch_size=2,
                                         collate_fn=lambda rows: dict(text=[r['text'] for r in rows]))
    np.testing.assert_allclose(encoder.encode(loader), ours, atol=1e-6)  # MTEB v2 passes a DataLoader


def test_export_loads_in_sentence_transformers_with_the_same_embeddings(encoder, tmp_path):
    from sentence_transformers import SentenceTransformer
    projected = TextEncoder(minilm_path(), projection_dim=16)
    for model, name in ((encoder, 'plain'), (projected, 'projected')):
        model.save_sentence_transformers(str(tmp_path / name))
        exported = SentenceTransformer(str(tmp_path / name), device='cpu').encode(SENTENCES[:3])
        np.testing.assert_allclose(model.encode(SENTENCES[:3]), exported, atol=1e-5)


def test_long_inputs_are_truncated_with_one_warning(capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('text-encoder-truncation')  # a current logger writing to this test's stdout
    model = TextEncoder(minilm_path(), max_length=16)
    model.encode([SENTENCES[3]])
    model.encode([SENTENCES[3]])
    out = capsys.readouterr().out
    assert out.count('truncated to max_length=16') == 1


def test_pooling_modes_pick_the_right_tokens():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).view(2, 4, 1)
    mask = torch.tensor([[1, 1, 1, 0], [0, 1, 1, 1]])  # right and left padding
    assert pool(hidden, mask, 'cls').flatten().tolist() == [0.0, 4.0]
    assert pool(hidden, mask, 'mean').flatten().tolist() == [1.0, 6.0]
    assert pool(hidden, mask, 'last').flatten().tolist() == [2.0, 7.0]


def test_folder_without_tokenizer_is_named(tmp_path):
    folder = tmp_path / 'no_tokenizer'
    shutil.copytree(minilm_path(), folder)
    for name in ('tokenizer.json', 'vocab.txt'):
        (folder / name).unlink()
    with pytest.raises(FileNotFoundError, match='no_tokenizer has no tokenizer'):
        TextEncoder(str(folder))
    with pytest.raises(TypeError, match='item 1 is NoneType'):
        TextEncoder(minilm_path()).encode(['fine', None])
