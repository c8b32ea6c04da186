"""MOFI's contrastive head with a ``text_align`` TextEncoder (a tiny BERT) instead of the CLIP text tower, chosen by
config: the entity-text embeddings, the loss, its gradients and the zero-shot scores equal those computed with a
separately built TextEncoder holding the same weights."""
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

import text_align  # noqa: F401  (registers text_align.TextEncoder)
from align_core.contrastive import symmetric_infonce
from conftest import REPO
from dense_align.mofi.text_align_tower import TextAlignTower
from dense_align.registry import MODELS
from text_align.encoders.text_encoder import TextEncoder

CONFIG = REPO / 'configs/mofi/mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
TEXTS = ['red circle. a round red shape', 'blue square', 'yellow star. a pointed yellow shape', 'dotted circle']


@pytest.fixture(scope='module')
def bert(tmp_path_factory) -> str:
    sys.path.insert(0, str(REPO / 'tests/text_align'))
    from tiny_bert import write_tiny_bert  # the 2-layer, 32-wide BERT of the text_align tests
    return write_tiny_bert(tmp_path_factory.mktemp('tiny_bert'))


def build(bert: str, **text_options):
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.text_encoder = dict(type='text_align.TextEncoder', model_path=bert, **text_options)
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(cfg)


def test_text_align_head_equals_the_encoder_called_directly(bert):
    torch.manual_seed(0)
    model = build(bert, projection_dim=32)  # the tiny ViT's embedding width
    model.init_weights()
    model.eval()  # no dropout, so that both computations see the same network
    assert isinstance(model.text_encoder, TextAlignTower) and model.text_align
    reference = TextEncoder(bert, projection_dim=32).eval()
    reference.load_state_dict(model.text_encoder.encoder.state_dict())
    images = torch.randn(4, 3, 64, 64)
    # the pipeline's CLIP tokens are ignored: the head reads the entity texts themselves
    samples = [BaseDataElement(metainfo=dict(caption=t, entity_labels=[i], img_id=i),
                               text_tokens=model.tokenizer([t])[0]) for i, t in enumerate(TEXTS)]
    losses = model(images, samples, mode='loss')
    text_ref = reference.embed(TEXTS)
    torch.testing.assert_close(model.encode_text(TEXTS), text_ref)
    image_embed = model.encode_image(images)
    want = symmetric_infonce(image_embed, text_ref, model.temperature())
    torch.testing.assert_close(losses['loss_con'], want)

    bert_params = dict(model.text_encoder.encoder.named_parameters())
    names = ['backbone.embeddings.word_embeddings.weight', 'backbone.encoder.layer.0.attention.self.query.weight',
             'projection.weight']
    image_param = model.image_encoder.conv1.weight  # the ViT's patch embedding
    got = torch.autograd.grad(losses['loss_con'], [bert_params[n] for n in names] + [image_param])
    ref_params = dict(reference.named_parameters())
    expected = torch.autograd.grad(want, [ref_params[n] for n in names] + [image_param])
    for g, e in zip(got, expected):
        assert e.abs().sum() > 0  # the gradient reaches the BERT, its projection and the image tower
        torch.testing.assert_close(g, e)

    with torch.no_grad():
        preds = model(images[:2], samples[:2], mode='predict')
        names_embed = F.normalize(reference.embed(list(model.class_names)), dim=-1)  # template '{}': bare names
        scores = F.normalize(model.encode_image(images[:2]), dim=-1) @ names_embed.t()
    torch.testing.assert_close(torch.stack([p['zero_shot_scores'] for p in preds]), scores)


def test_text_align_width_and_input_errors(bert):
    with pytest.raises(ValueError, match='set projection_dim of the text_align encoder'):
        build(bert, projection_dim=16)
    model = build(bert)  # hidden width 32 = image width: no projection needed
    assert model.text_encoder.output_dim == 32
    with pytest.raises(TypeError, match='takes the texts themselves'):
        model.encode_text(torch.zeros(2, 8, dtype=torch.long))
    with pytest.raises(KeyError, match='"caption" string'):
        model(torch.randn(1, 3, 64, 64), [BaseDataElement(metainfo=dict(entity_labels=[0], img_id=3))], mode='loss')
