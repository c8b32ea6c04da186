"""The released-layout LVIS config: a tiny variant builds, loads a tiny converted released checkpoint through
mmengine's ``load_checkpoint`` (what ``load_from`` runs) with only the text encoder and the background embedding
left out, and predicts with the released vocabulary embeddings instead of the text encoder's."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.runner import load_checkpoint

import dense_align  # noqa: F401
from dense_align.dito.flax_keys import convert_dito_flax

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402
from released_tiny_config import CLASSES, tiny_released_model  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / 'configs/dito/dito-faster-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py'


def tiny_model(vocabulary: str):
    """The config at the tiny released tree's sizes (its own weights and vocabulary come from ``load_from`` and
    ``vocabulary``)."""
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.load_from.endswith('.pth') and cfg.model.roi_head.vocabulary_embeddings == cfg.vocabulary
    return tiny_released_model(str(CONFIG), vocabulary)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('released')
    state, notes = convert_dito_flax(rel.detector_tree(4), text_dim=rel.TEXT)
    torch.save(dict(state_dict=state, meta=dict(dito_flax=notes)), root / 'dito_tiny.pth')
    vocab = np.random.default_rng(0).standard_normal((len(CLASSES) + 1, rel.TEXT)).astype(np.float32)
    np.save(root / 'vocab.npy', vocab)
    return root


def predict(model, image: torch.Tensor) -> DetDataSample:
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0),
                                         pad_shape=(64, 64), batch_input_shape=(64, 64)))
    with torch.no_grad():
        return model.predict(image, [sample])[0]


def test_tiny_released_config_loads_the_converted_file_and_predicts(converted):
    model = tiny_model(str(converted / 'vocab.npy'))
    ckpt = load_checkpoint(model, str(converted / 'dito_tiny.pth'), map_location='cpu', strict=False)
    ours = set(model.state_dict())
    loaded = set(ckpt['state_dict'])
    assert loaded <= ours  # nothing unexpected
    assert ours - loaded == {k for k in ours if k.startswith('text_encoder.')} | {
        'roi_head.bbox_head.background_embed'}
    assert model.roi_head.bbox_head.temperature_factor.item() == pytest.approx(1.3)
    image = torch.randn(1, 3, 64, 64)
    first = predict(model, image).pred_instances
    assert 0 < len(first) <= 20 and first.labels.max() < len(CLASSES)
    assert torch.isfinite(first.scores).all() and (first.scores <= 1).all()
    # the released vocabulary, not the text encoder, scores the classes: new text weights change nothing
    vocab = np.load(converted / 'vocab.npy')
    torch.testing.assert_close(model.roi_head.bbox_head.class_embeddings, torch.from_numpy(vocab[1:]))
    with torch.no_grad():
        for p in model.text_encoder.parameters():
            p.add_(torch.randn_like(p))
    second = predict(model, image).pred_instances
    torch.testing.assert_close(second.scores, first.scores)
    torch.testing.assert_close(second.bboxes, first.bboxes)


def test_vocabulary_with_the_wrong_number_of_rows_is_named(converted, tmp_path):
    np.save(tmp_path / 'short.npy', np.zeros((len(CLASSES), rel.TEXT), np.float32))
    model = tiny_model(str(tmp_path / 'short.npy'))
    load_checkpoint(model, str(converted / 'dito_tiny.pth'), map_location='cpu', strict=False, logger='silent')
    with pytest.raises(ValueError, match=r'short.npy has 3 rows; the detector scores 3 classes, so 4 rows'):
        predict(model, torch.randn(1, 3, 64, 64))
