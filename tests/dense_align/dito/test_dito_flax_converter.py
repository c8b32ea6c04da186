"""Released DITO Flax trees -> our detector: the plain-CLIP ViT layout (``clip_layout``) and the Fast R-CNN head's
FC layout pinned against numpy implementations of the released modules (fvlm/modeling/clip_models.py
VisionTransformer, heads.py FastrcnnHead, normalized_activation_layers.py), the key coverage of the tiny demo
detector, and the converter CLI on a .npz written in the exported layout. The released layout of every module is
pinned in test_dito_released_vit.py and test_dito_released_heads.py."""
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

import dense_align  # noqa: F401
from dense_align.clip.vit import CLIPViT
from dense_align.dito.flax_keys import convert_dito_flax
from dense_align.dito.text_bbox_head import DITOTextBBoxHead
from mmdet.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
DETECTOR = REPO / 'configs/dito/dito-faster-rcnn_vit-tiny_fpn_1xb8-300it_demo-shapes-64x64.py'
WIDTH, HEADS, PATCH, GRID, LAYERS = 64, 2, 8, 8, 4  # CLIPViT 'tiny' at 64 px
C, FC, TEXT = 64, 128, 32  # the demo detector's box head


def flax_vit(rng: np.random.Generator, prefix: str) -> dict:
    """Leaves of a released VisionTransformer (names and shapes of clip_models.py) with random values."""
    r = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.2  # noqa: E731
    hd = WIDTH // HEADS
    leaves = {'conv1/kernel': r(PATCH, PATCH, 3, WIDTH), 'conv1/bias': r(WIDTH),
              'positional_embedding': r(GRID * GRID, WIDTH), 'ln_post/scale': 1 + r(WIDTH), 'ln_post/bias': r(WIDTH)}
    for i in range(LAYERS):
        b = f'transformer/resblocks.{i}/'
        for ln in ('ln_1', 'ln_2'):
            leaves.update({f'{b}{ln}/scale': 1 + r(WIDTH), f'{b}{ln}/bias': r(WIDTH)})
        for n in ('query', 'key', 'value'):
            leaves.update({f'{b}attn/{n}/kernel': r(WIDTH, HEADS, hd), f'{b}attn/{n}/bias': r(HEADS, hd)})
        leaves.update({f'{b}attn/out/kernel': r(HEADS, hd, WIDTH), f'{b}attn/out/bias': r(WIDTH),
                       f'{b}mlp/c_fc/kernel': r(WIDTH, 4 * WIDTH), f'{b}mlp/c_fc/bias': r(4 * WIDTH),
                       f'{b}mlp/c_proj/kernel': r(4 * WIDTH, WIDTH), f'{b}mlp/c_proj/bias': r(WIDTH)})
    return {prefix + k: v for k, v in leaves.items()}


def flax_head(rng: np.random.Generator, prefix: str) -> dict:
    """Leaves of a released FastrcnnHead (use_batch_norm=False, NormalizedDense classifier, class-agnostic boxes)."""
    r = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.1  # noqa: E731
    leaves = {'fc6/kernel': r(7 * 7 * C, FC), 'fc6/bias': r(FC), 'fc6_bn/scale': 1 + r(FC), 'fc6_bn/bias': r(FC),
              'fc7/kernel': r(FC, FC), 'fc7/bias': r(FC), 'fc7_bn/scale': 1 + r(FC), 'fc7_bn/bias': r(FC),
              'class-predict/kernel': r(FC, TEXT), 'class-predict/bias': np.zeros(TEXT, np.float32),
              'box-predict/kernel': r(FC, 4), 'box-predict/bias': r(4)}
    return {prefix + k: v for k, v in leaves.items()}


def detector_file(seed: int = 0) -> dict:
    """A released detector state as restore_checkpoint returns it, flattened with '/'."""
    rng = np.random.default_rng(seed)
    flat = {**flax_vit(rng, 'vision_model/'), **flax_vit(rng, 'frozen_vision_model/'),
            **flax_head(rng, 'task_heads_0/fastrcnn_head_fn/'),
            'task_heads_0/temperature': np.array([0.37], np.float32)}
    flat = {f'optimizer/target/{k}': v for k, v in flat.items()}
    flat['optimizer/state/step'] = np.array(5)
    return flat


def layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * scale + bias


def released_block(x: np.ndarray, p: dict, b: str) -> np.ndarray:
    """ResidualAttentionBlock of clip_models.py in numpy (flax SelfAttention with (D, H, hd) kernels). Activation
    and LayerNorm epsilon are ours (erf GELU, 1e-5; the release: tanh GELU, 1e-6, see the README) so that the test
    checks the layout exactly."""
    from math import erf, sqrt
    xn = layer_norm(x, p[f'{b}ln_1/scale'], p[f'{b}ln_1/bias'])
    q, k, v = (np.einsum('nd,dhk->nhk', xn, p[f'{b}attn/{n}/kernel']) + p[f'{b}attn/{n}/bias']
               for n in ('query', 'key', 'value'))
    logits = np.einsum('nhk,mhk->hnm', q / np.sqrt(q.shape[-1]), k)
    attn = np.exp(logits - logits.max(-1, keepdims=True))
    attn /= attn.sum(-1, keepdims=True)
    x = x + np.einsum('hnm,mhk->nhk', attn, v).reshape(len(x), -1) @ p[f'{b}attn/out/kernel'].reshape(-1, WIDTH) \
        + p[f'{b}attn/out/bias']
    h = layer_norm(x, p[f'{b}ln_2/scale'], p[f'{b}ln_2/bias']) @ p[f'{b}mlp/c_fc/kernel'] + p[f'{b}mlp/c_fc/bias']
    h = h * 0.5 * (1 + np.vectorize(erf)(h / sqrt(2)))
    return x + h @ p[f'{b}mlp/c_proj/kernel'] + p[f'{b}mlp/c_proj/bias']


def prefixed(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def test_vit_block_and_patch_embedding_match_the_released_formulas():
    flat = detector_file()
    state, _ = convert_dito_flax(flat, clip_layout=True)
    vit = CLIPViT('tiny', out_indices=(3, ), act='gelu').eval()
    missing, unexpected = vit.load_state_dict(prefixed(state, 'backbone.'), strict=False)
    assert (missing, unexpected) == (['proj'], [])  # tiny: width 64 != text 32, no identity projection
    p = {k[len('optimizer/target/vision_model/'):]: v for k, v in flat.items()
         if k.startswith('optimizer/target/vision_model/')}
    tokens = np.random.default_rng(1).standard_normal((GRID * GRID, WIDTH)).astype(np.float32)
    with torch.no_grad():
        ours = vit.transformer.resblocks[2](torch.from_numpy(tokens)[None])[0].numpy()
    np.testing.assert_allclose(ours, released_block(tokens, p, 'transformer/resblocks.2/'), atol=2e-5)
    # patch embedding: released conv (HWIO kernel, with bias) + positions == our bias-free conv + folded positions
    image = np.random.default_rng(2).standard_normal((GRID * PATCH, GRID * PATCH, 3)).astype(np.float32)
    patches = image.reshape(GRID, PATCH, GRID, PATCH, 3).transpose(0, 2, 1, 3, 4).reshape(GRID * GRID, -1)
    released = patches @ p['conv1/kernel'].reshape(-1, WIDTH) + p['conv1/bias'] + p['positional_embedding']
    with torch.no_grad():
        conv = vit.conv1(torch.from_numpy(image.transpose(2, 0, 1))[None])[0].flatten(1).t()
        pos = vit.positional_embedding[1:]
    np.testing.assert_allclose((conv + pos).detach().numpy(), released, atol=1e-4)
    assert vit.class_embedding.abs().sum() == 0 and torch.equal(vit.ln_pre.weight, torch.ones(WIDTH))


def test_box_head_matches_fc6_layout_normalized_classifier_and_delta_order():
    flat = detector_file()
    state, _ = convert_dito_flax(flat)
    head = DITOTextBBoxHead(text_dim=TEXT, in_channels=C, fc_out_channels=FC, roi_feat_size=7, num_classes=3,
                            norm_eps=1e-6, learned_temperature=True)
    missing, unexpected = head.load_state_dict(prefixed(state, 'roi_head.bbox_head.'), strict=False)
    assert (missing, unexpected) == (['background_embed'], [])
    assert head.temperature_factor.item() == pytest.approx(0.37)
    p = {k.split('fastrcnn_head_fn/')[1]: v for k, v in flat.items() if 'fastrcnn_head_fn/' in k}
    rois = np.random.default_rng(3).standard_normal((5, C, 7, 7)).astype(np.float32)
    with torch.no_grad():
        fc6 = head.shared_fcs[0](torch.from_numpy(rois).flatten(1)).numpy()
    np.testing.assert_allclose(fc6, rois.transpose(0, 2, 3, 1).reshape(5, -1) @ p['fc6/kernel'] + p['fc6/bias'],
                               rtol=1e-4, atol=1e-4)  # released flattens (y, x, c)
    h = np.random.default_rng(4).standard_normal((5, FC)).astype(np.float32)
    text = np.random.default_rng(5).standard_normal((3, TEXT)).astype(np.float32)
    kernel = p['class-predict/kernel']
    released = 20 * h / np.linalg.norm(h, axis=1, keepdims=True) @ (kernel / np.linalg.norm(kernel, axis=0))
    with torch.no_grad():
        ours = F.normalize(head.text_proj(torch.from_numpy(h)), dim=-1) \
            @ F.normalize(torch.from_numpy(text), dim=-1).t()
        deltas = head.fc_reg(torch.from_numpy(h)).numpy()
    cosine = (released / np.linalg.norm(released, axis=1, keepdims=True)) @ (
        text / np.linalg.norm(text, axis=1, keepdims=True)).T
    np.testing.assert_allclose(ours.numpy(), cosine, atol=1e-5)
    box = h @ p['box-predict/kernel'] + p['box-predict/bias']  # (dy, dx, dh, dw)
    np.testing.assert_allclose(deltas, box[:, [1, 0, 3, 2]], rtol=1e-4, atol=1e-5)


def test_converted_detector_keys_exist_in_the_demo_detector_with_equal_shapes():
    state, notes = convert_dito_flax(detector_file(), clip_layout=True)
    cfg = Config.fromfile(str(DETECTOR))
    cfg.model.update(class_names=cfg.metainfo.classes, novel_classes=cfg.metainfo.novel_classes)
    cfg.model.backbone.act = cfg.model.vlm.backbone.act = 'gelu'  # the released ViT's MLP activation
    cfg.model.roi_head.bbox_head.update(norm_eps=1e-6, learned_temperature=True)  # fc6_bn / fc7_bn, temperature
    ours = MODELS.build(cfg.model).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(ours[k].shape) for k in state}
    vit_keys = {k for k in ours if k.startswith(('backbone.', 'vlm.backbone.')) and 'pyramid' not in k
                and not k.endswith('.proj')}
    assert vit_keys <= set(state)  # every ViT tensor but proj and the pyramid comes from the file
    assert notes['kind'] == 'detector' and notes['dropped_outside_root'] == 1
    assert notes['unmapped'] == {}  # the mask head: test_dito_released_mask_head.py
    assert notes['temperature'] == pytest.approx(0.37)


def test_pretrained_tree_feeds_both_vits_and_identity_projection():
    rng = np.random.default_rng(6)
    flat = {f'model_state/params/visual/{k}': v for k, v in {**flax_vit(rng, ''),
                                                              **flax_head(rng, 'fastrcnn_head_fn/')}.items()}
    flat['model_state/params/text/token_embedding/embedding'] = np.zeros((4, 8), np.float32)
    state, notes = convert_dito_flax(flat, text_dim=WIDTH)
    assert notes['kind'] == 'pretrained' and notes['dropped_outside_root'] == 1
    assert torch.equal(state['backbone.conv1.bias'], torch.from_numpy(flat['model_state/params/visual/conv1/bias']))
    assert torch.equal(state['backbone.proj'], torch.eye(WIDTH))
    assert torch.equal(state['vlm.backbone.ln_post.bias'], state['backbone.ln_post.bias'])


def test_unknown_and_missing_leaves_are_named():
    flat = detector_file()
    flat['optimizer/target/task_heads_0/extra_head/kernel'] = np.zeros(2, np.float32)
    with pytest.raises(KeyError, match='task_heads_0/extra_head/kernel'):
        convert_dito_flax(flat, source='x.npz')
    flat = detector_file()
    del flat['optimizer/target/vision_model/ln_post/scale']
    with pytest.raises(KeyError, match=r"x.npz: missing Flax leaf 'vision_model/ln_post/scale'"):
        convert_dito_flax(flat, source='x.npz')


def test_cli_reads_the_exported_npz_and_writes_state_and_notes(tmp_path, monkeypatch, capsys):
    src, dst = tmp_path / 'dito.npz', tmp_path / 'dito.pth'
    np.savez(src, **detector_file())
    script = REPO / 'tools/model_converters/dito_flax_to_mmengine.py'
    monkeypatch.syspath_prepend(str(script.parent))
    monkeypatch.setattr(sys, 'argv', [str(script), str(src), str(dst)])
    runpy.run_path(str(script), run_name='__main__')
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['dito_flax']['kind'] == 'detector'
    expected, _ = convert_dito_flax(detector_file())
    assert torch.equal(saved['state_dict']['roi_head.bbox_head.fc_reg.bias'],
                       expected['roi_head.bbox_head.fc_reg.bias'])
    assert 'backbone.proj' not in saved['state_dict']  # text dim 32 (class-predict) != width 64
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    monkeypatch.setattr(sys, 'argv', [str(script), str(tmp_path / 'bad.npz'), str(dst)])
    with pytest.raises(SystemExit, match='bad.npz is not a .npz'):
        runpy.run_path(str(script), run_name='__main__')


def test_cli_background_embed_takes_row_0(tmp_path, monkeypatch):
    src, dst = tmp_path / 'dito.npz', tmp_path / 'dito.pth'
    np.savez(src, **detector_file())
    vocab = np.arange(3 * TEXT, dtype=np.float32).reshape(3, TEXT)
    np.save(tmp_path / 'vocab.npy', vocab)
    script = REPO / 'tools/model_converters/dito_flax_to_mmengine.py'
    monkeypatch.syspath_prepend(str(script.parent))
    monkeypatch.setattr(sys, 'argv', [str(script), str(src), str(dst), '--background-embed',
                                      str(tmp_path / 'vocab.npy')])
    runpy.run_path(str(script), run_name='__main__')
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert torch.equal(saved['roi_head.bbox_head.background_embed'], torch.from_numpy(vocab[0]))
    monkeypatch.setattr(sys, 'argv', [str(script), str(src), str(dst), '--background-embed', 'missing.npy'])
    with pytest.raises(SystemExit, match='no such file missing.npy'):
        runpy.run_path(str(script), run_name='__main__')
