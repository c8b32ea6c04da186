"""The released-layout DITO configs shrunk to the dimensions of the tiny released tree of ``released_dito_numpy``
(64 px input: grid 4, 2 x 2 windows), shared by the box and mask config tests."""
from mmdet.registry import MODELS
from mmengine.config import Config
from torch import nn

import released_dito_numpy as rel

CLASSES = ('cat', 'dog', 'kite')


def tiny_released_model(config: str, vocabulary: str) -> nn.Module:
    """Build a released-layout config at the tiny tree's sizes, in eval mode.

    Args:
        config: the config file (box or mask variant).
        vocabulary: a ``.npy`` of ``len(CLASSES) + 1`` rows (background first).

    Returns:
        The detector, classes ``CLASSES`` with ``'kite'`` novel.
    """
    m = Config.fromfile(config).model
    arch = dict(patch_size=rel.PATCH, width=rel.WIDTH, layers=rel.LAYERS, heads=rel.HEADS, output_dim=rel.TEXT,
                image_size=rel.GRID * rel.PATCH)
    m.backbone.update(arch=arch, out_indices=(2, ), window_size=2, global_attn_indexes=(2, ), shift_size=rel.SHIFT)
    m.vlm.backbone.update(arch=arch, out_indices=(2, ), window_size=2, global_attn_indexes=(2, ))
    m.neck.update(in_channels=rel.WIDTH, out_channels=rel.FPN)
    m.rpn_head.update(in_channels=rel.FPN, feat_channels=rel.FPN)
    m.roi_head.bbox_roi_extractor.out_channels = rel.FPN
    m.roi_head.bbox_head.update(text_dim=rel.TEXT, in_channels=rel.FPN, conv_out_channels=rel.FPN,
                                fc_out_channels=rel.FC, num_classes=2)
    if 'mask_head' in m.roi_head:
        m.roi_head.mask_roi_extractor.out_channels = rel.FPN
        m.roi_head.mask_head.update(in_channels=rel.FPN, conv_out_channels=rel.FPN)
    m.roi_head.vocabulary_embeddings = vocabulary
    m.text_encoder.update(arch=dict(width=32, layers=1, heads=2, output_dim=rel.TEXT), context_length=16)
    m.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
    m.test_cfg.rcnn.max_per_img = 20
    m.update(class_names=CLASSES, novel_classes=('kite', ))
    return MODELS.build(m).eval()
