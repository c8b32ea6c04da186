"""Every DenseCLIP config parses and builds (checkpoints not loaded); the paper configs keep the paper's settings and
the reference code's (SyncBN backbones, positional grids, loss averaging, ViT data scale); the CPU demos keep BN."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

import dense_align  # noqa: F401

CONFIGS = sorted((Path(__file__).resolve().parents[3] / 'configs/denseclip').glob('*.py'))


def strip_init(cfg):
    for key in ('backbone', 'text_encoder'):
        if key in cfg.model:
            cfg.model[key].init_cfg = None
    return cfg


def check_reference_settings(path: Path, cfg: Config) -> None:
    """raoyongming/DenseCLIP @5eda47f: bilinear positional resizing (crop [:H, :W] of a 42x42 grid in detection),
    mmseg 0.x's loss averaging over all pixels, scale (2048, 640) for the ViT on ADE20K."""
    backbone = cfg.model.backbone
    if cfg.model.type.startswith('DenseCLIP') and backbone.type in ('CLIPResNet', 'CLIPViT'):
        assert backbone.pos_interpolation == 'bilinear'
        detection = cfg.get('default_scope') == 'mmdet'
        assert backbone.get('pos_crop', False) is detection
        assert backbone.arch.image_size == {'CLIPViT': 640, 'CLIPResNet': 1344 if detection else 512}[backbone.type]
    if cfg.model.type == 'DenseCLIPSegmentor':
        assert cfg.model.score_loss_avg_non_ignore is False
    if 'vit-b16' in path.stem:
        train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
        test = {t.type: t for t in cfg.test_dataloader.dataset.pipeline}
        assert train['RandomResize'].scale == (2048, 640) and train['RandomCrop'].crop_size == (640, 640)
        assert test['Resize'].scale == (2048, 640)
        assert backbone.pos_interpolation == 'bilinear' and backbone.pyramid_norm_cfg.type == 'SyncBN'


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_builds(path):
    import mmdet.registry
    import mmseg.registry
    cfg = strip_init(Config.fromfile(str(path)))
    if 'demo' not in path.stem:
        check_reference_settings(path, cfg)
    scope = cfg.get('default_scope', 'mmseg')
    registry = {'mmseg': mmseg.registry.MODELS, 'mmdet': mmdet.registry.MODELS}[scope]
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model)
    if scope == 'mmseg':
        assert model.decode_head.num_classes == cfg.model.decode_head.num_classes
    if cfg.model.type.startswith('DenseCLIP'):
        head = model.decode_head if scope == 'mmseg' else getattr(model, 'bbox_head', None) or model.roi_head.bbox_head
        assert len(model.class_names) == head.num_classes
    # the reference converts the backbone to SyncBN in both train scripts; the CPU demos keep plain BN
    sync = [isinstance(m, nn.SyncBatchNorm) for m in model.backbone.modules() if isinstance(m, _BatchNorm)]
    assert sync and (not any(sync) if 'demo' in path.stem else all(sync))


def test_paper_recipe_in_the_rn50_config():
    cfg = Config.fromfile(str(CONFIGS[0].parent / 'denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py'))
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1e-4, weight_decay=1e-4)
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys.backbone.lr_mult == 0.1 and keys.text_encoder.lr_mult == 0.0
    assert cfg.train_cfg.max_iters == 80000 and cfg.train_dataloader.batch_size * 8 == 32
    assert cfg.model.score_loss_weight == 0.4 and cfg.model.tau == 0.07
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(512, 512), stride=(341, 341))

