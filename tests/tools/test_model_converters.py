"""tools/model_converters/clip_to_mmengine.py output loads through mmengine's Pretrained init with no missing keys."""
import warnings

import open_clip
import torch
from mmengine.registry import DefaultScope

from conftest import run_tool
from dense_align.registry import MODELS


def test_torchscript_to_pretrained_backbone_and_text(tmp_path):
    torch.manual_seed(0)
    ref = open_clip.CLIP(embed_dim=32, vision_cfg=dict(layers=(1, 1, 1, 1), width=16, image_size=64),
                         text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=2),
                         quick_gelu=True).eval()
    src = tmp_path / 'RN-tiny.pt'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.jit.save(torch.jit.script(ref), str(src))
    visual, text = tmp_path / 'visual.pth', tmp_path / 'text.pth'
    result = run_tool(['tools/model_converters/clip_to_mmengine.py', src, visual, '--tower', 'visual',
                       '--image-size', '128'])
    assert result.returncode == 0, result.stderr
    assert 'resized attnpool.positional_embedding: 2x2 -> 4x4 grid' in result.stdout
    result = run_tool(['tools/model_converters/clip_to_mmengine.py', src, text, '--tower', 'text',
                       '--context-length', '13'])
    assert result.returncode == 0, result.stderr

    with DefaultScope.overwrite_default_scope('dense_align'):
        backbone = MODELS.build(dict(
            type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=128),
            with_attnpool=True, init_cfg=dict(type='Pretrained', checkpoint=str(visual))))
        encoder = MODELS.build(dict(type='CLIPTextTransformer', arch='tiny', context_length=13,
                                    init_cfg=dict(type='Pretrained', checkpoint=str(text))))
    backbone.init_weights()
    encoder.init_weights()
    for key, value in ref.visual.state_dict().items():
        if key != 'attnpool.positional_embedding':
            assert torch.equal(backbone.state_dict()[key], value), key
    assert backbone.attnpool.positional_embedding.shape == (17, 512)
    assert torch.equal(encoder.positional_embedding, ref.positional_embedding[:13])
    assert torch.equal(encoder.transformer.resblocks[1].attn.in_proj_weight,
                       ref.transformer.resblocks[1].attn.in_proj_weight)
