"""CLIP text side and weight loading: tokenizer and text tower match open_clip; every checkpoint format loads into
our encoders with open_clip's (and transformers') embeddings; mismatches are clear errors."""
import warnings

import open_clip
import pytest
import torch

from dense_align.clip import (CheckpointMismatchError, ClipBPETokenizer, CLIPResNet, CLIPTextTransformer, CLIPViT,
                              load_clip_weights, read_clip_checkpoint)

TEXTS = ['a photo of a red circle and two blue squares', "It's 2026 — naïve café &amp; résumé!", 'chest of drawers',
         '日本語 123 45.6', '']
TEXT_CFG = dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=2)
TINY_TEXT = dict(width=32, layers=2, heads=2, output_dim=32)


@pytest.fixture(scope='module')
def tokenizer():
    return ClipBPETokenizer()


def tiny_open_clip(vision: str) -> open_clip.CLIP:
    torch.manual_seed(0)
    vision_cfg = (dict(layers=(1, 1, 1, 1), width=16, image_size=64) if vision == 'rn' else
                  dict(layers=2, width=64, patch_size=8, image_size=64, head_width=32))
    return open_clip.CLIP(embed_dim=32, vision_cfg=vision_cfg, text_cfg=TEXT_CFG, quick_gelu=True).eval()


def test_tokenizer_matches_open_clip(tokenizer):
    ref = open_clip.get_tokenizer('ViT-B-16')
    assert torch.equal(tokenizer(TEXTS), ref(TEXTS))
    long_text = 'word ' * 100
    assert torch.equal(tokenizer(long_text), ref(long_text))
    assert tokenizer.decode(tokenizer.encode('A Photo of a Dog')) == 'a photo of a dog '
    with pytest.raises(ValueError, match='more than the context length 8'):
        tokenizer('a photo of a very very long class name', context_length=8, truncate=False)


@torch.no_grad()
def test_text_tower_matches_open_clip(tokenizer):
    ref = tiny_open_clip('rn')
    ours = CLIPTextTransformer(TINY_TEXT).eval()
    assert load_clip_weights(ours, ref.state_dict()) == ([], [])
    tokens = tokenizer(TEXTS)
    assert torch.allclose(ours(tokens), ref.encode_text(tokens), atol=1e-5)
    short = CLIPTextTransformer(TINY_TEXT, context_length=16).eval()  # positions cut from 77 to 16 on load
    load_clip_weights(short, ref.state_dict())
    fits = [t for t in TEXTS if len(tokenizer.encode(t)) + 2 <= 16]
    assert len(fits) == 4
    assert torch.allclose(short(tokenizer(fits, context_length=16)), ref.encode_text(tokenizer(fits)), atol=1e-5)


def save_formats(model: torch.nn.Module, tmp_path) -> dict:
    """The model's weights in every format users have."""
    from safetensors.torch import save_file
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    paths = dict(openai_state_dict=tmp_path / 'openai.pt', open_clip_pt=tmp_path / 'epoch_1.pt',
                 bin=tmp_path / 'open_clip_pytorch_model.bin', safetensors=tmp_path / 'open_clip_model.safetensors',
                 torchscript=tmp_path / 'RN-tiny.pt')
    torch.save(state, paths['openai_state_dict'])
    torch.save({'epoch': 1, 'name': 'tiny', 'state_dict': {f'module.{k}': v for k, v in state.items()}},
               paths['open_clip_pt'])
    torch.save(state, paths['bin'])
    save_file(state, str(paths['safetensors']))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.jit.save(torch.jit.script(model), str(paths['torchscript']))
    return paths


@pytest.mark.parametrize('vision', ['rn', 'vit'])
@torch.no_grad()
def test_every_format_loads_with_open_clip_embeddings(vision, tmp_path, tokenizer):
    ref = tiny_open_clip(vision)
    images, tokens = torch.randn(2, 3, 64, 64), tokenizer(TEXTS[:2])
    want_image, want_text = ref.encode_image(images), ref.encode_text(tokens)
    for fmt, path in save_formats(ref, tmp_path).items():
        if vision == 'rn':
            image_encoder = CLIPResNet(dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64),
                                       with_attnpool=True).eval()
        else:
            image_encoder = CLIPViT(dict(patch_size=8, width=64, layers=2, heads=2, output_dim=32, image_size=64),
                                    with_embeddings=True).eval()
        text_encoder = CLIPTextTransformer(TINY_TEXT).eval()
        assert load_clip_weights(image_encoder, str(path)) == ([], []), fmt
        assert load_clip_weights(text_encoder, str(path)) == ([], []), fmt
        got_image = image_encoder(images)[-2]
        assert torch.allclose(got_image, want_image, atol=1e-5), fmt
        assert torch.allclose(text_encoder(tokens), want_text, atol=1e-5), fmt


@torch.no_grad()
def test_hugging_face_clip_model_loads_with_its_embeddings(tmp_path, tokenizer):
    from transformers import CLIPConfig, CLIPModel
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                         vocab_size=49408, max_position_embeddings=77, eos_token_id=49407),
        vision_config=dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2,
                           image_size=64, patch_size=8),
        projection_dim=32)
    ref = CLIPModel(config).eval()
    ref.save_pretrained(tmp_path / 'hf')
    vit = CLIPViT(dict(patch_size=8, width=64, layers=2, heads=2, output_dim=32, image_size=64),
                  with_embeddings=True).eval()
    text = CLIPTextTransformer(TINY_TEXT).eval()
    weights = str(tmp_path / 'hf/model.safetensors')
    assert load_clip_weights(vit, weights) == ([], [])
    assert load_clip_weights(text, weights) == ([], [])
    images, tokens = torch.randn(2, 3, 64, 64), tokenizer(TEXTS[:3])
    want_image = ref.get_image_features(pixel_values=images)
    want_text = ref.get_text_features(input_ids=tokens, attention_mask=(tokens > 0).long())
    want_image = getattr(want_image, 'pooler_output', want_image)
    want_text = getattr(want_text, 'pooler_output', want_text)
    assert torch.allclose(vit(images)[-2], want_image, atol=1e-5)
    assert torch.allclose(text(tokens), want_text, atol=1e-5)
    assert read_clip_checkpoint(weights)['logit_scale'].shape == ()


def test_mismatched_checkpoints_are_clear_errors(tmp_path):
    vit_ckpt = tmp_path / 'vit.pt'
    torch.save(tiny_open_clip('vit').state_dict(), vit_ckpt)
    with pytest.raises(CheckpointMismatchError, match=r'does not match CLIPResNet .* first foreign key'):
        load_clip_weights(CLIPResNet('tiny', with_attnpool=True), str(vit_ckpt))
    wider = CLIPViT(dict(patch_size=8, width=96, layers=2, heads=2, output_dim=32, image_size=64))
    with pytest.raises(CheckpointMismatchError, match=r"'class_embedding' has shape \(64,\) in the checkpoint "
                                                      r"but \(96,\)"):
        load_clip_weights(wider, str(vit_ckpt))
    with pytest.raises(FileNotFoundError, match='nowhere.pt'):
        load_clip_weights(wider, str(tmp_path / 'nowhere.pt'))


def test_other_input_size_resizes_positional_embedding_on_load(tmp_path):
    ref = tiny_open_clip('vit')
    bigger = CLIPViT(dict(patch_size=8, width=64, layers=2, heads=2, output_dim=32, image_size=96))
    assert load_clip_weights(bigger, ref.state_dict()) == ([], [])
    assert bigger.positional_embedding.shape == (1 + 12 * 12, 64)
    assert torch.equal(bigger.positional_embedding[0], ref.visual.positional_embedding[0])
