"""Released DITO ViT -> CLIPViT: a tiny random tree in the released Flax layout, converted, run through our ViT
with the released options, equals a numpy implementation of the released VisionTransformer (windows as counts per
side, shifted second pass, no class token / ln_pre, eps 1e-6, tanh GELU, conv bias): within 1e-9 in float64,
1e-4 in float32."""
import sys
from pathlib import Path

import numpy as np
import torch

from dense_align.clip.vit import CLIPViT
from dense_align.dito.flax_keys import convert_dito_flax

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402

ARCH = dict(patch_size=rel.PATCH, width=rel.WIDTH, layers=rel.LAYERS, heads=rel.HEADS, output_dim=rel.TEXT,
            image_size=rel.GRID * rel.PATCH)
RELEASED = dict(class_token=False, pre_norm=False, ln_eps=1e-6, act='gelu_tanh', patch_bias=True, norm_maps=True,
                pos_interpolation='bilinear')


def released_vit(shifted: bool) -> CLIPViT:
    """Our ViT in the layout of the tiny tree: window of 2 x 2 windows per side on the 4 x 4 grid, last block global."""
    return CLIPViT(ARCH, out_indices=(rel.LAYERS - 1, ), window_size=rel.GRID // 2,
                   global_attn_indexes=(rel.LAYERS - 1, ), shifted_pass=shifted, shift_size=rel.SHIFT, **RELEASED)


def prefixed(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def test_converted_vits_equal_the_released_vision_transformer(tmp_path):
    flat = rel.detector_tree()
    np.savez(tmp_path / 'released.npz', **flat)  # the exported layout the converter CLI reads
    with np.load(tmp_path / 'released.npz', allow_pickle=False) as data:
        state, _ = convert_dito_flax({k: data[k] for k in data.files}, text_dim=rel.TEXT)
    images = np.random.default_rng(3).standard_normal((2, 64, 64, 3))
    for prefix, ours_prefix, windows, shift in (
            ('optimizer/target/vision_model/', 'backbone.', rel.WINDOWS, rel.SHIFT),
            ('optimizer/target/frozen_vision_model/', 'vlm.backbone.', rel.FROZEN_WINDOWS, 0)):
        vit = released_vit(shifted=bool(shift)).double().eval()
        assert vit.load_state_dict(prefixed(state, ours_prefix), strict=True)
        with torch.no_grad():
            ours, = vit(torch.from_numpy(images.transpose(0, 3, 1, 2)))
        ref = rel.vision_transformer(images, rel.sub(flat, prefix), windows, shift)
        # float64: equal to rounding (an epsilon of 1e-5 instead of 1e-6 is off by ~1e-5, exact GELU by ~6e-4)
        np.testing.assert_allclose(ours.numpy().transpose(0, 2, 3, 1), ref, rtol=0, atol=1e-9)
        assert np.abs(ref).max() > 0.5  # a real signal, not a vanishing one


def test_float32_forward_and_the_old_clip_layout_is_not_equivalent():
    flat = rel.detector_tree(1)
    images = np.random.default_rng(4).standard_normal((1, 64, 64, 3)).astype(np.float32)
    ref = rel.vision_transformer(images.astype(np.float64), rel.sub(flat, 'optimizer/target/vision_model/'),
                                 rel.WINDOWS, rel.SHIFT)
    state, _ = convert_dito_flax(flat, text_dim=rel.TEXT)
    vit = released_vit(True).eval()
    vit.load_state_dict(prefixed(state, 'backbone.'))
    with torch.no_grad():
        ours, = vit(torch.from_numpy(images.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(ours.numpy().transpose(0, 2, 3, 1), ref, rtol=0, atol=1e-4)
    # the former conversion (class token + ln_pre of a plain CLIP ViT) is measurably different
    old, _ = convert_dito_flax(flat, text_dim=rel.TEXT, clip_layout=True)
    clip = CLIPViT(ARCH, out_indices=(rel.LAYERS - 1, ), window_size=2, global_attn_indexes=(rel.LAYERS - 1, ),
                   shifted_pass=True, shift_size=rel.SHIFT, act='gelu', norm_maps=True).eval()
    clip.load_state_dict(prefixed(old, 'backbone.'))
    with torch.no_grad():
        legacy, = clip(torch.from_numpy(images.transpose(0, 3, 1, 2)))
    assert np.abs(legacy.numpy().transpose(0, 2, 3, 1) - ref).max() > 1e-2
