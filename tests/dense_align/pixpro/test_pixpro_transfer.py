"""PixPro end to end: paper configs build, a few iterations under tools/train.py, then the exported encoder loads into
mmdet Mask R-CNN / Faster R-CNN C4 and mmseg FCN with every backbone key, and detectron2's names are right."""
import json
import pickle
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, equal_rank_states, run_tool, train_two_processes
from dense_align.pixpro import online_encoder_state, to_detectron2
from dense_align.registry import MODELS

CONFIGS = REPO / 'configs/pixpro'
DEMO = CONFIGS / 'pixpro_r18_1xb8-lars-20it_demo-shapes-96px.py'
MASK_RCNN = CONFIGS / 'transfer/mask-rcnn_r50-pixpro_fpn_syncbn-1x_coco.py'
FASTER_C4 = CONFIGS / 'transfer/faster-rcnn_r50-pixpro-c4_syncbn-24k_voc0712.py'
FCN = CONFIGS / 'transfer/fcn_r50-pixpro-d8_syncbn-40k_cityscapes-769x769.py'
EXPORT = REPO / 'tools/model_converters/pixpro_export.py'
D2_BLOCKS = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3)}


def detectron2_resnet_keys(depth: int) -> set:
    """The weight names of a detectron2 ResNet (``build_resnet_backbone``), from its documented module naming:
    ``stem.conv1`` with ``.norm``; stages ``res2``-``res5`` of blocks ``conv1..conv3`` (``conv1..conv2`` for basic
    blocks), each conv with a ``.norm``; a ``shortcut`` conv + norm where a block changes shape."""
    norm = ('norm.weight', 'norm.bias', 'norm.running_mean', 'norm.running_var')
    keys = {'stem.conv1.weight'} | {f'stem.conv1.{n}' for n in norm}
    convs = ('conv1', 'conv2') if depth < 50 else ('conv1', 'conv2', 'conv3')
    for stage, blocks in enumerate(D2_BLOCKS[depth], start=2):
        for block in range(blocks):
            names = list(convs) + (['shortcut'] if block == 0 and (depth >= 50 or stage > 2) else [])
            for conv in names:
                keys |= {f'res{stage}.{block}.{conv}.weight'} | {f'res{stage}.{block}.{conv}.{n}' for n in norm}
    return keys


def pixpro_state(depth: int) -> dict:
    """State dict of a freshly initialised PixPro with the paper's encoder settings at ``depth``."""
    cfg = Config.fromfile(str(CONFIGS / 'pixpro_r50_8xb128-lars-100e_in1k.py')).model
    cfg.backbone.depth = depth
    cfg.update(in_channels=2048 if depth >= 50 else 512, hidden_channels=16, out_channels=8)
    init_default_scope('dense_align')
    model = MODELS.build(cfg)
    model.init_weights()
    return model.state_dict()


def build_with_pretrained(config: Path, checkpoint: Path, depth: int = 50):
    """Build the transfer config's model with its backbone (and C4 shared head) initialised from ``checkpoint``."""
    cfg = Config.fromfile(str(config))
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(checkpoint))
    shared = model_cfg.get('roi_head', {}).get('shared_head')
    if shared:
        shared.init_cfg.checkpoint = str(checkpoint)
    if depth == 18:  # the same configs with a ResNet-18's channels
        model_cfg.backbone.depth = 18
        if 'neck' in model_cfg:
            model_cfg.neck.in_channels = [64, 128, 256, 512]
        if 'decode_head' in model_cfg:
            model_cfg.decode_head.in_channels, model_cfg.auxiliary_head.in_channels = 512, 256
    scope = cfg.default_scope
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model = registry.build(model_cfg)
    model.init_weights()
    return model


def assert_backbone_loaded(module: torch.nn.Module, exported: dict, prefix: str = '') -> None:
    """Every tensor of ``module`` (all keys, BN statistics included) equals the exported one."""
    state = module.state_dict()
    missing = [prefix + k for k in state if prefix + k not in exported]
    assert not missing, f'backbone keys missing from the export: {missing[:5]}'
    for key, value in state.items():
        assert torch.equal(value, exported[prefix + key]), key


def test_paper_configs_carry_the_recipe():
    cfg = Config.fromfile(str(CONFIGS / 'pixpro_r50_8xb128-lars-100e_in1k.py'))
    # the reference's lr = base_lr 1.0 x (GPUs x batch) / 256, applied by mmengine from the real batch
    assert cfg.optim_wrapper.optimizer == dict(type='LARS', lr=1.0, momentum=0.9, weight_decay=1e-5, eta=0.001,
                                               exclude_1d=True)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    assert cfg.train_dataloader.batch_size * 8 == 1024 and cfg.model.pos_ratio == 0.7
    assert cfg.model.propagation.gamma == 2.0 and cfg.model.backbone.zero_init_residual
    demo = Config.fromfile(str(DEMO))
    assert demo.auto_scale_lr.enable and demo.optim_wrapper.optimizer.lr == 1.0
    assert Config.fromfile(str(CONFIGS / 'pixpro_r50_8xb128-lars-400e_in1k.py')).train_cfg.max_epochs == 400
    assert Config.fromfile(str(CONFIGS / 'pixpro-ins_r50_8xb128-lars-100e_in1k.py')).model.loss_weights.instance == 1.0
    ins_400 = Config.fromfile(str(CONFIGS / 'pixpro-ins_r50_8xb128-lars-400e_in1k.py'))  # README's 41.4 / 37.4 row
    assert ins_400.model.loss_weights.instance == 1.0 and ins_400.train_cfg.max_epochs == 400
    fcn = Config.fromfile(str(FCN))  # mmselfsup's Cityscapes benchmark: 40k iterations, SyncBN
    assert fcn.train_cfg.max_iters == 40000 and fcn.model.backbone.norm_cfg.type == 'SyncBN'


def test_resnet50_export_loads_into_the_paper_transfer_configs(tmp_path):
    exported = online_encoder_state(pixpro_state(50))
    path = tmp_path / 'pixpro_r50.pth'
    torch.save({'state_dict': exported}, path)
    detector = build_with_pretrained(MASK_RCNN, path)
    assert_backbone_loaded(detector.backbone, exported)
    c4 = build_with_pretrained(FASTER_C4, path)
    assert_backbone_loaded(c4.backbone, exported)
    assert_backbone_loaded(c4.roi_head.shared_head.layer4, exported, prefix='layer4.')
    segmentor = build_with_pretrained(FCN, path)
    assert_backbone_loaded(segmentor.backbone, exported)


def test_demo_pretraining_encoder_fills_the_demo_segmentation_backbone(tmp_path):
    """tools/demo_pixpro.py: the thin ResNet-18 of the pre-training config loads into the fine-tuning config."""
    cfg = Config.fromfile(str(CONFIGS / 'pixpro_r18-w16_1xb16-lars-200it_demo-shapes-128px.py'))
    assert cfg.auto_scale_lr.enable and cfg.train_cfg.max_iters == 200
    init_default_scope('dense_align')
    model = MODELS.build(cfg.model)
    model.init_weights()
    exported = online_encoder_state(model.state_dict())
    path = tmp_path / 'demo_encoder.pth'
    torch.save({'state_dict': exported}, path)
    segmentor = build_with_pretrained(CONFIGS / 'transfer/semfpn_r18-w16-pixpro_fpn_1xb8-200it_demo-shapes-64labels.py',
                                      path)
    assert_backbone_loaded(segmentor.backbone, exported)


def test_resnet50_detectron2_names_match_detectron2s_resnet():
    d2 = to_detectron2(online_encoder_state(pixpro_state(50)))
    assert d2['matching_heuristics'] is True and d2['__author__']
    assert set(d2['model']) == detectron2_resnet_keys(50)
    shapes = {k: v.shape for k, v in d2['model'].items()}
    assert shapes['stem.conv1.weight'] == (64, 3, 7, 7)
    assert shapes['res2.0.shortcut.weight'] == (256, 64, 1, 1)
    assert shapes['res5.2.conv3.norm.running_var'] == (2048,)


def test_train_on_demo_images_then_export_into_mmdet_and_mmseg(demo_root, tmp_path):
    work = tmp_path / 'work'
    options = [f'train_dataloader.dataset.data_root={demo_root}', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=3',
               'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1']
    result = run_tool(['tools/train.py', DEMO, '--work-dir', work, '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'loss_propagation' in result.stdout + result.stderr
    checkpoint = work / 'iter_3.pth'
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    assert not torch.equal(state['backbone.conv1.weight'], state['momentum_backbone.conv1.weight'])

    mmdet_file, d2_file = tmp_path / 'r18.pth', tmp_path / 'r18_d2.pkl'
    for args in ([checkpoint, mmdet_file], [checkpoint, d2_file, '--to', 'detectron2']):
        result = run_tool([EXPORT] + args)
        assert result.returncode == 0, result.stderr[-2000:]
    exported = torch.load(mmdet_file, map_location='cpu', weights_only=True)['state_dict']
    assert torch.equal(exported['conv1.weight'], state['backbone.conv1.weight'])  # the online encoder
    assert_backbone_loaded(build_with_pretrained(MASK_RCNN, mmdet_file, depth=18).backbone, exported)
    assert_backbone_loaded(build_with_pretrained(FCN, mmdet_file, depth=18).backbone, exported)

    with open(d2_file, 'rb') as f:
        d2 = pickle.load(f)  # written by this test
    assert set(d2['model']) == detectron2_resnet_keys(18)
    assert (d2['model']['res3.1.conv2.weight'] == exported['layer2.1.conv2.weight'].numpy()).all()


def test_export_refuses_a_detector_or_a_deep_stem_checkpoint(tmp_path):
    detector = tmp_path / 'detector.pth'  # has backbone.* keys, but no momentum encoder
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1), 'neck.conv.weight': torch.zeros(1)}}, detector)
    result = run_tool([EXPORT, detector, tmp_path / 'out.pth'])
    assert result.returncode != 0 and not (tmp_path / 'out.pth').exists()
    assert 'detector.pth' in result.stderr and 'not a PixPro checkpoint' in result.stderr
    assert 'backbone, neck' in result.stderr
    # a PixPro trained on a ResNetV1c-style (deep stem) encoder: refused by the same function the CLI calls
    state = {f'{branch}.{key}': torch.zeros(1) for branch in ('backbone', 'momentum_backbone')
             for key in ('stem.0.weight', 'stem.1.weight', 'layer1.0.conv1.weight')}
    with pytest.raises(KeyError, match=r'deep_stem.pth.*stem.0.weight.*stem.1.weight.*deep stem'):
        online_encoder_state(state, 'deep_stem.pth')


def test_two_process_training_keeps_ranks_in_sync_and_scales_the_lr_to_the_real_batch(demo_root, tmp_path):
    """tools/train.py under torchrun (2 CPU processes); the demo's loss mix (propagation, PixContrast and the instance
    branch; the single-branch mixes are in test_pixpro_ddp.py). lr = 1.0 x (2 processes x 2 images) / 256."""
    options = [f'train_dataloader.dataset.data_root={demo_root}', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
               'train_dataloader.dataset.pipeline.1.size=64', 'default_hooks.checkpoint.interval=2',
               'default_hooks.logger.interval=1']
    work = train_two_processes(DEMO, options, tmp_path)
    rank0 = equal_rank_states(work)
    assert any(k.startswith('momentum_backbone.') for k in rank0)
    assert not torch.equal(rank0['backbone.conv1.weight'], rank0['momentum_backbone.conv1.weight'])
    scalars = [json.loads(line) for line in next(work.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert scalars[0]['lr'] == pytest.approx(1.0 * 4 / 256 * 0.01)  # first warm-up step: lr / 100
