"""A tiny randomly initialised BERT saved as a local model folder (with MiniLM's tokenizer), for fast training
tests whose loss starts high.

Test modules take the ``tiny_bert`` fixture with ``from tiny_bert import tiny_bert``: pytest registers an imported
fixture for the importing module (a ``conftest.py`` in tests/text_align would clash with ``from conftest import``)."""
from pathlib import Path

import pytest

from minilm import minilm_path


def write_tiny_bert(folder: Path) -> str:
    """Save a 2-layer, 32-wide BERT and the MiniLM tokenizer into ``folder``; return it as a string."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope='module')
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The folder of :func:`write_tiny_bert`, written once per test module that imports this fixture."""
    return write_tiny_bert(tmp_path_factory.mktemp('tiny_bert'))
