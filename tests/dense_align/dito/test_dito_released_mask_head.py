"""The released DITO mask head (fvlm ``heads.py`` ``MaskrcnnHead`` with ``use_batch_norm=False``,
``use_norm_activation=True``, class-agnostic) -> ``DITOMaskHead`` through the converter, pinned against a numpy
implementation of the released module on a tiny random tree in the released Flax layout; the converter's mask
options and errors."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import dense_align  # noqa: F401
from dense_align.dito.flax_keys import convert_dito_flax
from dense_align.dito.released_mask_head import DITOMaskHead

sys.path.insert(0, str(Path(__file__).parent))
import released_dito_numpy as rel  # noqa: E402

MASK = 'optimizer/target/task_heads_0/maskrcnn_head_fn/'


@pytest.fixture(scope='module')
def converted():
    flat = rel.detector_tree(3, mask=True)
    state, notes = convert_dito_flax(flat, text_dim=rel.TEXT)
    return flat, state, notes


def released_head(normalized: bool = True) -> DITOMaskHead:
    return DITOMaskHead(norm_eps=1e-6, normalized_convs=normalized, num_convs=rel.MASK_CONVS,
                        in_channels=rel.FPN, conv_out_channels=rel.FPN, num_classes=1, class_agnostic=True)


def mask_logits(head: DITOMaskHead, rois: np.ndarray) -> np.ndarray:
    """(R, s, s, C) channels-last RoI features -> (R, 2s, 2s) logits of our head."""
    with torch.no_grad():
        return head(torch.from_numpy(rois.transpose(0, 3, 1, 2)))[:, 0].numpy()


def test_mask_logits_equal_the_released_mask_head(converted):
    flat, state, notes = converted
    assert notes['unmapped'] == {}
    prefix = 'roi_head.mask_head.'
    head = released_head()
    head.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=True)
    head = head.double().eval()
    rng = np.random.default_rng(7)
    rois = rng.standard_normal((5, rel.MASK_ROI, rel.MASK_ROI, rel.FPN))
    rois[0, :3] = 0  # all-zero pixels (RoIs beyond the map): l2_normalize's epsilon keeps them 0
    ours = mask_logits(head, rois)
    p = rel.sub(flat, MASK)
    expected = rel.maskrcnn_head(rois, p)
    assert ours.shape == (5, 2 * rel.MASK_ROI, 2 * rel.MASK_ROI)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-9)
    # the normalised convs matter: the plain-conv head (mmdet's FCNMaskHead order) is far off
    assert np.abs(rel.maskrcnn_head(rois, p, norm_activation=False) - expected).max() > 1.0
    # ... and make the head blind to the scale of each RoI pixel's feature vector
    scale = rng.uniform(0.1, 10.0, (5, rel.MASK_ROI, rel.MASK_ROI, 1))
    np.testing.assert_allclose(mask_logits(head, rois * scale), ours, rtol=0, atol=1e-8)
    # sigmoid masks as ClipFasterRCNNHead's detection_masks: mmdet's predict_by_feat takes the same sigmoid
    np.testing.assert_allclose(torch.from_numpy(ours).sigmoid().numpy(), rel.sigmoid(expected), atol=1e-12)


def test_deconv_taps_and_channel_order_are_pinned(converted):
    """A flipped deconv or transposed channels would still give finite logits: check them one by one."""
    flat, state, _ = converted
    kernel = flat[MASK + 'conv5-mask/kernel']  # (2, 2, in, out)
    ours = state['roi_head.mask_head.upsample.weight'].numpy()  # (in, out, 2, 2)
    x = np.zeros((1, 1, 1, rel.FPN))
    x[0, 0, 0, 3] = 1.0
    released = rel.conv_transpose_2x2(x, kernel.astype(np.float64))[0]  # (2, 2, out)
    np.testing.assert_allclose(released, ours[3].transpose(1, 2, 0), atol=1e-7)
    assert not np.allclose(kernel[0, 0], kernel[1, 1])  # a flip would be visible


def test_mask_head_can_be_left_out_and_bad_trees_are_named(converted):
    flat, _, _ = converted
    state, notes = convert_dito_flax(flat, text_dim=rel.TEXT, mask_head=False)
    assert not any(k.startswith('roi_head.mask_head.') for k in state)
    assert set(notes['unmapped']) == {'maskrcnn_head_fn/'}
    partial = {k: v for k, v in flat.items() if k != MASK + 'conv5-mask-bn/scale'}
    with pytest.raises(KeyError, match=r"x.npz: missing Flax leaf 'task_heads_0/maskrcnn_head_fn/conv5-mask-bn/"):
        convert_dito_flax(partial, source='x.npz')
    specific = dict(flat)
    specific[MASK + 'mask_fcn_logits/kernel'] = np.zeros((1, 1, rel.FPN, 3), np.float32)
    with pytest.raises(ValueError, match='mask_fcn_logits/kernel has 3 outputs; only class-agnostic'):
        convert_dito_flax(specific, source='x.npz')


def test_class_specific_reference_gathers_the_detection_class():
    """The numpy reference's class-specific branch (``x[b, r, :, :, class_indices]``) picks one channel per RoI."""
    rng = np.random.default_rng(8)
    p = {k: v.astype(np.float64) for k, v in rel.mask_head_tree(rng, num_classes=3).items()}
    rois = rng.standard_normal((4, 6, 6, rel.FPN))
    classes = np.array([2, 0, 1, 2])
    picked = rel.maskrcnn_head(rois, p, classes)
    for c in range(3):
        one = dict(p, **{'mask_fcn_logits/kernel': p['mask_fcn_logits/kernel'][..., c:c + 1],
                         'mask_fcn_logits/bias': p['mask_fcn_logits/bias'][c:c + 1]})
        np.testing.assert_allclose(picked[classes == c], rel.maskrcnn_head(rois[classes == c], one), atol=1e-12)


def test_released_options_need_the_deconv_and_no_mmdet_norm():
    with pytest.raises(ValueError, match='need upsample_cfg type "deconv"'):
        DITOMaskHead(norm_eps=1e-6, upsample_cfg=dict(type='bilinear', scale_factor=2))
    with pytest.raises(ValueError, match='either norm_cfg'):
        DITOMaskHead(normalized_convs=True, norm_cfg=dict(type='GN', num_groups=4))
