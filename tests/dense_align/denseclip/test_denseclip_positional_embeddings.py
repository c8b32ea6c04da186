"""Positional embeddings as the reference (raoyongming/DenseCLIP @5eda47f): bilinear resizing at load and per input
(segmentation), and for the detectors a bilinear resize to the 1344-pixel grid at load with a ``[:H, :W]`` crop per
input. Values checked against direct ``F.interpolate(..., mode='bilinear')`` computations."""
import pytest
import torch
import torch.nn.functional as F

from dense_align.clip import CLIPResNet, CLIPViT
from dense_align.clip.layers import DenseAttentionPool2d
from dense_align.clip.weights import load_clip_weights

RN_TINY = dict(layers=(1, 1, 1, 1), width=16, output_dim=32)
VIT_TINY = dict(patch_size=8, width=32, layers=2, heads=2, output_dim=16)


def grid_of(pos: torch.Tensor, side: int) -> torch.Tensor:
    """(1 + side^2, C) -> (1, C, side, side)."""
    return pos[1:].reshape(side, side, -1).permute(2, 0, 1)[None]


def bilinear(pos: torch.Tensor, side: int, size: tuple) -> torch.Tensor:
    """Rows of ``pos``'s spatial grid resized bilinearly to ``size``: (h*w, C)."""
    out = F.interpolate(grid_of(pos, side), size=size, mode='bilinear', align_corners=False)
    return out[0].permute(1, 2, 0).reshape(size[0] * size[1], -1)


@torch.no_grad()
def test_loader_resizes_the_attention_pool_grid_bilinearly():
    torch.manual_seed(0)
    source = CLIPResNet(dict(RN_TINY, image_size=64), with_attnpool=True).state_dict()  # 2x2 grid
    model = CLIPResNet(dict(RN_TINY, image_size=160), with_attnpool=True, pos_interpolation='bilinear')  # 5x5
    load_clip_weights(model, source)
    src = source['attnpool.positional_embedding']
    got = model.attnpool.positional_embedding
    assert torch.equal(got[0], src[0])
    assert torch.allclose(got[1:], bilinear(src, 2, (5, 5)), atol=1e-6)


@torch.no_grad()
def test_vit_positions_resized_bilinearly_at_load_and_per_input():
    torch.manual_seed(0)
    source = CLIPViT(dict(VIT_TINY, image_size=32)).state_dict()  # 4x4 grid
    model = CLIPViT(dict(VIT_TINY, image_size=48), pos_interpolation='bilinear').eval()  # 6x6
    load_clip_weights(model, source)
    src = source['positional_embedding']
    assert torch.allclose(model.positional_embedding[1:], bilinear(src, 4, (6, 6)), atol=1e-6)
    patches = torch.randn(1, 3, 5, 32)  # a 3x5 patch grid
    pos = model.positional_embedding
    tokens = torch.cat([model.class_embedding.expand(1, 1, 32), patches.reshape(1, 15, 32)], dim=1)
    want = model.ln_pre(tokens + torch.cat([pos[:1], bilinear(pos, 6, (3, 5))])[None])
    assert torch.allclose(model._embed(patches), want, atol=1e-5)


@torch.no_grad()
def test_detection_pool_crops_the_loaded_grid():
    torch.manual_seed(0)
    source = CLIPResNet(dict(RN_TINY, image_size=64), with_attnpool=True).state_dict()  # 2x2, as OpenAI's 7x7
    model = CLIPResNet(dict(RN_TINY, image_size=192), with_attnpool=True, pos_interpolation='bilinear',
                       pos_crop=True).eval()  # 6x6, as the reference's 42x42 for 1344 pixels
    load_clip_weights(model, source)
    pool = model.attnpool
    full = F.interpolate(grid_of(source['attnpool.positional_embedding'], 2), size=(6, 6), mode='bilinear',
                         align_corners=False)
    want = full[0, :, :3, :4].permute(1, 2, 0).reshape(12, -1)
    got = pool.positions(3, 4)
    assert torch.equal(got[0], source['attnpool.positional_embedding'][0])
    assert torch.allclose(got[1:], want, atol=1e-6)
    x = torch.randn(1, 512, 3, 4)
    resize = DenseAttentionPool2d(6, 512, 8, 32, 'bilinear')
    resize.load_state_dict(pool.state_dict())
    assert not torch.allclose(pool(x)[1], resize(x)[1], atol=1e-4)  # the crop is what the forward uses
    x_full = torch.randn(1, 512, 6, 6)
    assert torch.allclose(pool(x_full)[1], resize(x_full)[1], atol=1e-5)  # the whole grid: crop == no resize
    with pytest.raises(ValueError, match='7x4 map is larger than the 6x6 positional grid'):
        pool.positions(7, 4)
