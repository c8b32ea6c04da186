"""CLIP image encoders: parity with open_clip on the same weights, dense outputs, sizes, windows, freezing."""
import pytest
import torch
from open_clip.modified_resnet import ModifiedResNet
from open_clip.transformer import QuickGELU, VisionTransformer

from dense_align.clip import CLIPResNet, CLIPViT
from dense_align.clip.layers import resize_pos_embed, window_merge, window_partition

TINY_RN = dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64)


def open_clip_tiny_resnet() -> ModifiedResNet:
    torch.manual_seed(0)
    return ModifiedResNet(layers=[1, 1, 1, 1], output_dim=32, heads=8, image_size=64, width=16).eval()


def open_clip_tiny_vit() -> VisionTransformer:
    torch.manual_seed(0)
    return VisionTransformer(image_size=64, patch_size=8, width=64, layers=4, heads=2, mlp_ratio=4.0,
                             output_dim=32, act_layer=QuickGELU).eval()


@torch.no_grad()
def test_resnet_matches_open_clip_and_dense_map_is_extra():
    ref = open_clip_tiny_resnet()
    ours = CLIPResNet(TINY_RN, with_attnpool=True).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    c2, c3, c4, c5, global_embed, dense = ours(x)
    assert torch.allclose(global_embed, ref(x), atol=1e-5)
    assert [t.shape[1:] for t in (c2, c3, c4, c5)] == [(64, 16, 16), (128, 8, 8), (256, 4, 4), (512, 2, 2)]
    assert dense.shape == (2, 32, 2, 2)
    global_only, none = ours.attnpool(c5, dense=False)
    assert none is None and torch.allclose(global_only, global_embed, atol=1e-6)
    # batch independence of the dense map
    x2 = x.clone()
    x2[1] = torch.randn(3, 64, 64)
    assert torch.allclose(ours(x2)[5][0], dense[0], atol=1e-6)


@torch.no_grad()
def test_full_size_rn50_matches_open_clip():
    import open_clip
    torch.manual_seed(0)
    ref = open_clip.create_model('RN50', pretrained=None).visual.eval()
    ours = CLIPResNet('RN50', with_attnpool=True).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(1, 3, 224, 224)
    assert torch.allclose(ours(x)[4], ref(x), atol=1e-5)


@torch.no_grad()
def test_resnet_any_input_size_and_output_contract():
    model = CLIPResNet(TINY_RN, with_attnpool=True).eval()
    outs = model(torch.randn(1, 3, 96, 160))
    specs = model.output_shape()
    assert [s.name for s in specs] == ['res2', 'res3', 'res4', 'res5', 'global_embed', 'dense_embed']
    for spec, out in zip(specs, outs):
        assert out.shape[1] == spec.channels
        if spec.stride:
            assert out.shape[2:] == (96 // spec.stride, 160 // spec.stride)
    plain = CLIPResNet(TINY_RN, out_indices=(1, 3))
    assert [s.name for s in plain.output_shape()] == ['res3', 'res5'] and len(plain(torch.randn(1, 3, 64, 64))) == 2


def test_positional_embedding_interpolation():
    pos = torch.randn(1 + 7 * 7, 8)
    assert resize_pos_embed(pos, 1, (7, 7), (7, 7)) is pos
    resized = resize_pos_embed(pos, 1, (7, 7), (10, 5))
    assert resized.shape == (51, 8) and torch.equal(resized[0], pos[0])
    with pytest.raises(ValueError, match='spatial rows'):
        resize_pos_embed(pos, 1, (6, 6), (7, 7))


def test_resnet_frozen_stages_and_norm_eval():
    model = CLIPResNet(TINY_RN, frozen_stages=2, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert not any(p.requires_grad for p in model.layer2.parameters())
    assert all(p.requires_grad for p in model.layer3.parameters())
    assert not model.layer4[0].bn1.training and model.training
    with pytest.raises(KeyError, match='RN42'):
        CLIPResNet('RN42')


@torch.no_grad()
def test_vit_matches_open_clip_with_dense_embeddings_and_pyramid():
    ref = open_clip_tiny_vit()
    arch = dict(patch_size=8, width=64, layers=4, heads=2, output_dim=32, image_size=64)
    ours = CLIPViT(arch, with_embeddings=True, pyramid=True).eval()
    result = ours.load_state_dict(ref.state_dict(), strict=False)
    assert all(k.startswith('pyramid.') for k in result.missing_keys) and not result.unexpected_keys
    x = torch.randn(2, 3, 64, 64)
    outs = ours(x)
    assert torch.allclose(outs[4], ref(x), atol=1e-5)
    assert [tuple(o.shape[1:]) for o in outs[:4]] == [(64, 16, 16), (64, 8, 8), (64, 4, 4), (64, 2, 2)]
    assert outs[5].shape == (2, 32, 8, 8)
    specs = ours.output_shape()
    assert [(s.name, s.stride) for s in specs] == [('p2', 4), ('p3', 8), ('p4', 16), ('p5', 32),
                                                   ('global_embed', None), ('dense_embed', 8)]


@pytest.mark.parametrize('patch, size, expected', [(14, 112, [28, 14, 7, 4]), (16, 64, [16, 8, 4, 2])])
def test_vit_pyramid_strides_for_other_patch_sizes(patch, size, expected):
    arch = dict(patch_size=patch, width=32, layers=4, heads=2, output_dim=16, image_size=size)
    outs = CLIPViT(arch, pyramid=True).eval()(torch.randn(1, 3, size, size))
    assert [o.shape[-1] for o in outs] == expected


def test_window_partition_merge_and_roll_are_inverse():
    x = torch.randn(2, 7, 10, 5)
    windows, padded = window_partition(x, 4)
    assert windows.shape == (2 * 2 * 3, 16, 5) and padded == (8, 12)
    assert torch.equal(window_merge(windows, 4, padded, (7, 10)), x)
    rolled = torch.roll(x, shifts=(-2, 2), dims=(1, 2))
    assert torch.equal(torch.roll(rolled, shifts=(2, -2), dims=(1, 2)), x)


@torch.no_grad()
def test_windowed_attention_invariants():
    arch = dict(patch_size=8, width=32, layers=3, heads=2, output_dim=16, image_size=64)
    torch.manual_seed(1)
    plain = CLIPViT(arch, with_embeddings=True).eval()
    x = torch.randn(1, 3, 64, 64)
    # one window covering the grid is global attention
    whole = CLIPViT(arch, with_embeddings=True, window_size=8).eval()
    whole.load_state_dict(plain.state_dict())
    for a, b in zip(plain(x), whole(x)):
        assert torch.allclose(a, b, atol=1e-5)
    # a shifted pass with shift 0 repeats the first pass: same result as a single pass
    single = CLIPViT(arch, with_embeddings=True, window_size=3, global_attn_indexes=(2, )).eval()
    zero_shift = CLIPViT(arch, with_embeddings=True, window_size=3, global_attn_indexes=(2, ), shifted_pass=True,
                         shift_size=0).eval()
    shifted = CLIPViT(arch, with_embeddings=True, window_size=3, global_attn_indexes=(2, ), shifted_pass=True).eval()
    for model in (single, zero_shift, shifted):
        model.load_state_dict(plain.state_dict())
    for a, b in zip(single(x), zero_shift(x)):
        assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(single(x)[-1], shifted(x)[-1], atol=1e-4)
    assert not torch.allclose(single(x)[-1], plain(x)[-1], atol=1e-4)
    with pytest.raises(ValueError, match='window_size'):
        CLIPViT(arch, shifted_pass=True)


def test_vit_training_features_drop_path_checkpointing_freezing():
    arch = dict(patch_size=8, width=32, layers=4, heads=2, output_dim=16, image_size=64)
    torch.manual_seed(0)
    model = CLIPViT(arch, drop_path_rate=0.2, with_cp=True, frozen_stages=2).train()
    loss = sum(o.sum() for o in model(torch.randn(2, 3, 64, 64)))
    loss.backward()
    assert model.conv1.weight.grad is None and model.transformer.resblocks[1].ln_1.weight.grad is None
    assert model.transformer.resblocks[3].mlp.c_fc.weight.grad is not None
    assert model.transformer.resblocks[3].drop_path.drop_prob == pytest.approx(0.2)
