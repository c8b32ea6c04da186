"""init_cfg=dict(type='Pretrained') on the CLIP encoders reads any CLIP format through the CLIP loader: OpenAI
TorchScript directly, a prefix inside a training checkpoint, and a clear error for another size."""
import warnings

import open_clip
import pytest
import torch
from mmengine.registry import DefaultScope

from dense_align.clip import CheckpointMismatchError
from dense_align.registry import MODELS


def build(cfg: dict):
    with DefaultScope.overwrite_default_scope('dense_align'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def torchscript_file(tmp_path_factory):
    torch.manual_seed(0)
    ref = open_clip.CLIP(embed_dim=32, vision_cfg=dict(layers=(1, 1, 1, 1), width=16, image_size=64),
                         text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=2),
                         quick_gelu=True).eval()
    path = tmp_path_factory.mktemp('ts') / 'RN-tiny.pt'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.jit.save(torch.jit.script(ref), str(path))
    return ref, str(path)


def test_openai_archive_loads_directly_with_resized_positions(torchscript_file):
    ref, path = torchscript_file
    arch = dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=128)
    backbone = build(dict(type='CLIPResNet', arch=arch, with_attnpool=True,
                          init_cfg=dict(type='Pretrained', checkpoint=path)))
    text = build(dict(type='CLIPTextTransformer', arch='tiny', context_length=13,
                      init_cfg=dict(type='Pretrained', checkpoint=path)))
    assert torch.equal(backbone.layer3[0].conv2.weight, ref.visual.layer3[0].conv2.weight)
    assert backbone.attnpool.positional_embedding.shape == (1 + 4 * 4, 512)
    assert torch.equal(text.positional_embedding, ref.positional_embedding[:13])


def test_prefix_inside_a_training_checkpoint(tmp_path, torchscript_file):
    ref, _ = torchscript_file
    ckpt = tmp_path / 'iter_10.pth'
    torch.save({'meta': {'iter': 10}, 'state_dict': {f'image_encoder.{k}': v for k, v in ref.visual.state_dict().items()}},
               ckpt)
    backbone = build(dict(type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64),
                          with_attnpool=True,
                          init_cfg=dict(type='Pretrained', checkpoint=str(ckpt), prefix='image_encoder.')))
    assert torch.equal(backbone.attnpool.c_proj.weight, ref.visual.attnpool.c_proj.weight)


def test_checkpoint_of_another_size_is_an_error(torchscript_file):
    _, path = torchscript_file
    with pytest.raises(CheckpointMismatchError, match=r"'conv1.weight' has shape \(8, 3, 3, 3\) in the checkpoint"):
        build(dict(type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=32, output_dim=32, image_size=64),
                   with_attnpool=True, init_cfg=dict(type='Pretrained', checkpoint=path)))
