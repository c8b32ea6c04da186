"""Released DITO heads -> ours, each pinned against a numpy implementation of the released module on a tiny random
tree in the released Flax layout: the box head (4 convs + LN, fc6 + LN, NormalizedDense, learned temperature times
TEMP), SimpleFpnV2 (DITOSimpleFPN) and the LayerNorm RPN (DITOCenternessRPNHead) with its l/r/t/b proposals."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict

import dense_align  # noqa: F401
from dense_align.dito.centerness_rpn_head import DITOCenternessRPNHead
from dense_align.dito.flax_keys import convert_dito_flax
from dense_align.dito.simple_fpn_v2 import DITOSimpleFPN
from dense_align.dito.text_bbox_head import DITOTextBBoxHead

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402

HEADS = 'optimizer/target/task_heads_0/'


@pytest.fixture(scope='module')
def converted():
    flat = rel.detector_tree(2)
    state, notes = convert_dito_flax(flat, text_dim=rel.TEXT)
    return flat, state, notes


def load(module: torch.nn.Module, state: dict, prefix: str) -> torch.nn.Module:
    missing, unexpected = module.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                                  if k.startswith(prefix)}, strict=False)
    assert unexpected == [] and missing in ([], ['background_embed'])
    return module.double().eval()


def test_box_head_logits_and_deltas_equal_the_released_head(converted):
    flat, state, notes = converted
    assert notes['unmapped'] == {} and notes['temperature'] == pytest.approx(1.3)
    head = load(DITOTextBBoxHead(text_dim=rel.TEXT, in_channels=rel.FPN, conv_out_channels=rel.FPN,
                                 fc_out_channels=rel.FC, roi_feat_size=rel.ROI, num_classes=3, num_shared_convs=4,
                                 num_shared_fcs=1, norm_eps=1e-6, learned_temperature=True, temperature=0.01),
                state, 'roi_head.bbox_head.')
    rng = np.random.default_rng(5)
    rois = rng.standard_normal((6, rel.ROI, rel.ROI, rel.FPN))
    text = rng.standard_normal((4, rel.TEXT))  # 3 classes + background, background last (ours)
    head.set_class_embeddings(torch.from_numpy(text[:3]))
    with torch.no_grad():
        head.background_embed.copy_(torch.from_numpy(text[3]))
        logits, deltas = head(torch.from_numpy(rois.transpose(0, 3, 1, 2)))
    feats, boxes = rel.fastrcnn_head(rois, rel.sub(flat, HEADS + 'fastrcnn_head_fn/'))
    expected = rel.region_text_logits(feats, text, temperature=1.3, scale=0.01)
    # the converter stores the column-normalised classifier in float32: cosine error ~1e-7, logits up to ~30
    np.testing.assert_allclose(logits.numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(deltas.numpy(), boxes[:, [1, 0, 3, 2]], rtol=0, atol=1e-10)  # (dy, dx, dh, dw)
    assert np.abs(expected).max() > 10  # cosine / (0.01 * 1.3): a temperature error would show


def test_simple_fpn_v2_equals_the_released_pyramid(converted):
    flat, state, _ = converted
    neck = load(DITOSimpleFPN(rel.WIDTH, rel.FPN, in_level=4, min_level=2, max_level=5), state, 'neck.')
    x = np.random.default_rng(6).standard_normal((2, 6, 6, rel.WIDTH))
    with torch.no_grad():
        ours = neck((torch.from_numpy(x.transpose(0, 3, 1, 2)), ))
    ref = rel.simple_fpn_v2(x, rel.sub(flat, HEADS + 'feature_pyramid_fn/'))
    assert [o.shape[-1] for o in ours] == [24, 12, 6, 3]
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o.numpy().transpose(0, 2, 3, 1), r, rtol=0, atol=1e-9)


def test_simple_fpn_v2_top_block_and_level_checks():
    rng = np.random.default_rng(7)
    rel_tree = {}
    levels = dict(IN_LEVEL=4, MIN_LEVEL=3, MAX_LEVEL=6)
    saved = {k: getattr(rel, k) for k in levels}
    try:
        for k, v in levels.items():
            setattr(rel, k, v)
        rel_tree = rel.fpn_tree(rng)
        state, _ = convert_dito_flax({**rel.detector_tree(3), **{
            f'optimizer/target/task_heads_0/feature_pyramid_fn/{k}': v for k, v in rel_tree.items()}},
            text_dim=rel.TEXT)
        neck = load(DITOSimpleFPN(rel.WIDTH, rel.FPN, in_level=4, min_level=3, max_level=6), state, 'neck.')
        x = rng.standard_normal((1, 8, 8, rel.WIDTH))
        with torch.no_grad():
            ours = neck((torch.from_numpy(x.transpose(0, 3, 1, 2)), ))
        ref = rel.simple_fpn_v2(x, {k: v.astype(np.float64) for k, v in rel_tree.items()})
    finally:
        for k, v in saved.items():
            setattr(rel, k, v)
    assert [o.shape[-1] for o in ours] == [16, 8, 4, 2]  # level 6: pooled once, then stride-2 subsampling
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o.numpy().transpose(0, 2, 3, 1), r, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match='levels 1..5 must contain in_level 4 and lie within 2'):
        DITOSimpleFPN(32, in_level=4, min_level=1, max_level=5)


def rpn_head() -> DITOCenternessRPNHead:
    return DITOCenternessRPNHead(in_channels=rel.FPN, feat_channels=rel.FPN, num_levels=4, num_convs=2)


def test_rpn_raw_outputs_equal_the_released_rpn(converted):
    flat, state, _ = converted
    head = load(rpn_head(), state, 'rpn_head.')
    rng = np.random.default_rng(8)
    feats = [rng.standard_normal((2, s, s, rel.FPN)) for s in (16, 8, 4, 2)]
    with torch.no_grad():
        scores, boxes = head(tuple(torch.from_numpy(f.transpose(0, 3, 1, 2)) for f in feats))
    ref = rel.rpn_head(feats, rel.sub(flat, HEADS + 'region_proposal_head_fn/'))
    for s, b, (rs, rb) in zip(scores, boxes, ref):
        np.testing.assert_allclose(s.numpy().transpose(0, 2, 3, 1), rs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(b.numpy().transpose(0, 2, 3, 1), rb, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match='got 3 levels, built for num_levels=4'):
        head(tuple(torch.zeros(1, rel.FPN, 2, 2, dtype=torch.float64) for _ in range(3)))


def test_rpn_proposals_are_the_released_lrtb_decoding_and_sigmoid_scores(converted):
    """With the released test NMS threshold (1.0) nothing is suppressed, so the proposals are every location's
    decoded box (anchors of side 8 * stride centred at (i + 0.5) * stride, clipped to the image) ranked by score."""
    _, state, _ = converted
    head = load(rpn_head(), state, 'rpn_head.').float()  # mmcv's NMS runs in float32
    rng = np.random.default_rng(9)
    sizes, strides = (16, 8, 4, 2), (4, 8, 16, 32)
    scores = [rng.standard_normal((1, 1, s, s)) for s in sizes]
    lrtb = [rng.uniform(0.05, 0.6, (1, 4, s, s)) for s in sizes]
    cfg = ConfigDict(nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=1.0), min_bbox_size=-1)
    meta = dict(img_shape=(60, 64), scale_factor=(1.0, 1.0))
    res, = head.predict_by_feat([torch.from_numpy(s).float() for s in scores],
                                [torch.from_numpy(b).float() for b in lrtb],
                                batch_img_metas=[meta], cfg=cfg, rescale=False)
    expected = []
    for s, b, size, stride in zip(scores, lrtb, sizes, strides):
        centre = np.arange(size) * stride + stride / 2  # released Anchor: range(stride / 2, image, stride)
        cy, cx = np.meshgrid(centre, centre, indexing='ij')
        a = 8 * stride  # ANCHOR_SIZE 8, aspect ratio 1
        l, r, t, bt = b[0]
        box = np.stack([cx - l * a, cy - t * a, cx + r * a, cy + bt * a], -1).reshape(-1, 4)
        box = np.clip(box, 0, [64, 60, 64, 60])  # clip_boxes to the (resized) image: x to 64, y to 60
        expected += list(zip(1 / (1 + np.exp(-s.reshape(-1))), box))
    expected.sort(key=lambda e: -e[0])
    assert len(res) == sum(s * s for s in sizes)
    np.testing.assert_allclose(res.scores.numpy(), [e[0] for e in expected], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.bboxes.numpy(), np.stack([e[1] for e in expected]), rtol=0, atol=1e-4)


def test_pretrained_file_feeds_the_pyramid_and_box_head():
    """A pre-trained file (``model_state/params/visual``: the ViT leaves plus ``feature_pyramid_fn`` and
    ``fastrcnn_head_fn``, the gin's clip_pretrained_filters) converts to the same neck / head keys."""
    rng = np.random.default_rng(11)
    tree = {**rel.vit_tree(rng), **{f'feature_pyramid_fn/{k}': v for k, v in rel.fpn_tree(rng).items()},
            **{f'fastrcnn_head_fn/{k}': v for k, v in rel.box_head_tree(rng).items()}}
    state, notes = convert_dito_flax({f'model_state/params/visual/{k}': v for k, v in tree.items()},
                                     text_dim=rel.TEXT)
    assert notes['kind'] == 'pretrained' and notes['unmapped'] == {}
    neck = DITOSimpleFPN(rel.WIDTH, rel.FPN)
    assert set(neck.state_dict()) == {k[len('neck.'):] for k in state if k.startswith('neck.')}
    assert torch.equal(state['neck.levels.2.lateral.weight'],
                       torch.from_numpy(tree['feature_pyramid_fn/Conv_4/kernel'].transpose(3, 2, 0, 1)))
    assert 'roi_head.bbox_head.shared_conv_norms.3.weight' in state and not any(k.startswith('rpn_head.')
                                                                                 for k in state)
