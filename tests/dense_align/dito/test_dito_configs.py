"""The paper configs carry the released gin values (fvlm/dito/configs/dito_train_and_eval.gin @ 5e78683)."""
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[3]
PAPER = sorted((REPO / 'configs/dito').glob('dito-*1024px.py'))


def test_all_four_paper_configs_exist():
    assert len(PAPER) == 4


@pytest.mark.parametrize('path', PAPER, ids=lambda p: p.stem)
def test_paper_config_matches_released_gin(path):
    cfg = Config.fromfile(str(path))
    model = cfg.model
    layers = model.backbone.arch['layers']
    assert model.backbone.window_size == 16 and model.backbone.shift_size == 8 and model.backbone.shifted_pass
    assert model.backbone.global_attn_indexes == tuple(range(layers // 4 - 1, layers, layers // 4))
    assert model.vlm.backbone.global_attn_indexes == (layers - 1, ) and model.vlm.backbone.window_size == 16
    assert (model.vlm.roi_size, model.vlm.box_scale, model.vlm.temperature) == (14, 0.7, 0.01)
    head = model.roi_head
    assert (head.base_vlm_weight, head.novel_vlm_weight, head.objectness_weight) == (0.35, 0.65, 3.0)
    assert head.bbox_head.temperature == 0.01 and head.bbox_head.loss_cls.class_weight[-1] == 0.9
    assert len(head.bbox_head.loss_cls.class_weight) == head.bbox_head.num_classes + 1
    assert model.rpn_head.anchor_generator.ratios == [1.0] and model.rpn_head.anchor_generator.scales == [8]
    assert model.test_cfg.rcnn.max_per_img == 300
    resize = cfg.train_dataloader.dataset.pipeline[2]
    assert resize.ratio_range == (0.1, 2.0) and resize.scale == (1024, 1024)
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone'].lr_mult == 0.6
    steps = cfg.param_scheduler[1].milestones
    assert steps == [int(46100 * r) for r in (0.8, 0.9, 0.95)] and cfg.param_scheduler[0].end == 1000
    assert cfg.custom_hooks[0].type == 'dense_align.OpenVocabularyHook'
