"""The ViT simple pyramid has DenseCLIP's structure (``seg/models.py`` fpn1..4 @5eda47f): GroupNorm(1, C) at the start
of every level, then deconv -> norm -> GELU -> deconv (stride 4), deconv (8), nothing (16), max-pool (32)."""
import torch
import torch.nn.functional as F
from torch import nn

from dense_align.clip import CLIPViT
from dense_align.clip.layers import SimpleFeaturePyramid


def kinds(level: nn.Sequential) -> list:
    return [type(m).__name__ for m in level]


def test_levels_match_the_reference_for_patch_16_and_8():
    pyramid = SimpleFeaturePyramid(32, 16, norm_cfg=dict(type='BN'))
    assert [kinds(level) for level in pyramid.levels] == [
        ['GroupNorm', 'ConvTranspose2d', 'BatchNorm2d', 'GELU', 'ConvTranspose2d'], ['GroupNorm', 'ConvTranspose2d'],
        ['GroupNorm'], ['GroupNorm', 'MaxPool2d']]
    assert all(level[0].num_groups == 1 and level[0].num_channels == 32 for level in pyramid.levels)
    pyramid8 = SimpleFeaturePyramid(32, 8)
    assert [kinds(level) for level in pyramid8.levels] == [
        ['GroupNorm', 'ConvTranspose2d'], ['GroupNorm'], ['GroupNorm', 'MaxPool2d'], ['GroupNorm', 'MaxPool2d']]
    assert pyramid8.levels[3][1].kernel_size == 4
    assert [kinds(level) for level in SimpleFeaturePyramid(32, 16, level_norm=False).levels][2:] == [[], ['MaxPool2d']]


def test_every_level_is_normalised_per_image():
    torch.manual_seed(0)
    pyramid = SimpleFeaturePyramid(32, 16).eval()
    maps = [5.0 + 3.0 * torch.randn(2, 32, 4, 4) for _ in range(4)]
    with torch.no_grad():
        p2, p3, p4, p5 = pyramid(maps)
    normed = [F.group_norm(m, 1, eps=1e-5) for m in maps]
    # stride 16 is the GroupNorm alone: every image has mean 0 and variance 1 over (C, H, W)
    assert torch.allclose(p4, normed[2], atol=1e-5)
    assert torch.allclose(p4.mean(dim=(1, 2, 3)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(p4.var(dim=(1, 2, 3), unbiased=False), torch.ones(2), atol=1e-3)
    assert torch.allclose(p5, F.max_pool2d(normed[3], 2), atol=1e-5)
    assert torch.allclose(p3, pyramid.levels[1][1](normed[1]), atol=1e-5)
    assert [tuple(p.shape[-2:]) for p in (p2, p3, p4, p5)] == [(16, 16), (8, 8), (4, 4), (2, 2)]


def test_clip_vit_builds_the_reference_pyramid():
    vit = CLIPViT(dict(patch_size=16, width=32, layers=4, heads=2, output_dim=16, image_size=64), pyramid=True)
    assert kinds(vit.pyramid.levels[0]) == ['GroupNorm', 'ConvTranspose2d', 'BatchNorm2d', 'GELU', 'ConvTranspose2d']
