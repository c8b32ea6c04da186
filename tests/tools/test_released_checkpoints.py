"""The converters for the authors' released files, on tiny files written in exactly the released layout: DenseCLIP
(mmseg 0.x, via tools/model_converters/denseclip_to_mmengine.py and directly through tools/test.py) and PixPro
(``module.encoder.*``, into our PixPro checkpoint and the mmdet/mmseg and detectron2 exports)."""
import importlib.util
import pickle
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import dense_align  # noqa: F401
from conftest import REPO, run_tool, seg_data_options
from dense_align.engine import convert_released_checkpoint

sys.path.insert(0, str(REPO / 'tests/helpers'))
from released_layouts import denseclip_release, mmcv1_checkpoint, pixpro_release  # noqa: E402

TINY_RN50_ADE20K = f"""_base_ = ['{REPO}/configs/denseclip/denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py']
model = dict(
    backbone=dict(arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64), init_cfg=None),
    text_encoder=dict(arch=dict(_delete_=True, width=32, layers=1, heads=2, output_dim=32), init_cfg=None),
    context_decoder=dict(width=16, heads=2, layers=1),
    neck=dict(in_channels=[64, 128, 256, 512 + 150], out_channels=16),
    decode_head=dict(in_channels=[16, 16, 16, 16], channels=16))
"""
DEMO_CONFIG = REPO / 'configs/denseclip/denseclip_rn-tiny_fpn_1xb8-500it_demo-shapes-64x64.py'
PIXPRO_DEMO = REPO / 'configs/pixpro/pixpro_r18_1xb8-lars-20it_demo-shapes-96px.py'


def run_converter(tool: str, args: list, capsys) -> str:
    """Run a converter's ``main()`` in this process (no interpreter start-up) and return what it printed; the
    script's folder goes first on ``sys.path`` as ``python tool.py`` puts it."""
    folder = str((REPO / tool).parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(Path(tool).stem, REPO / tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = sys.argv
    sys.argv = [tool] + [str(a) for a in args]
    try:
        module.main()
    finally:
        sys.argv = argv
    return capsys.readouterr().out


def build(config) -> torch.nn.Module:
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'dense_align'))
    return MODELS.build(cfg.model)


def released_for(model: torch.nn.Module, backbone: dict, text: dict, decoder: dict) -> dict:
    """A released-layout state dict for ``model`` (random values; neck and heads taken from the model)."""
    torch.manual_seed(1)
    mm = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in model.state_dict().items()
          if k.startswith(('neck.', 'decode_head.', 'bbox_head.'))}
    return denseclip_release(backbone, text, decoder, 8, text['embed_dim'], mm)


def test_denseclip_converter_tool_rn50_ade20k(tmp_path, capsys):
    config = tmp_path / 'denseclip_tiny_ade20k.py'
    config.write_text(TINY_RN50_ADE20K)
    model = build(config)
    state = released_for(model, dict(kind='resnet', layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64),
                         dict(width=32, layers=1, heads=2, embed_dim=32), dict(width=16, layers=1))
    src, dst = tmp_path / 'denseclip_fpn_res50.pth', tmp_path / 'ours.pth'
    torch.save(mmcv1_checkpoint(state, model.class_names, 'mmseg'), src)
    tool = 'tools/model_converters/denseclip_to_mmengine.py'
    assert 'no missing or unexpected keys' in run_converter(tool, [src, config, dst], capsys)
    ours = torch.load(dst, weights_only=True)['state_dict']
    assert model.load_state_dict(ours, strict=True) is not None  # raises on any missing/unexpected key
    assert torch.equal(model.prompting.prompt_learner.context, state['contexts'][0])
    assert torch.equal(model.prompting.gamma, state['gamma'])
    decoder = model.prompting.context_decoder
    assert torch.equal(decoder.query_proj[1].weight, state['context_decoder.text_proj.1.weight'])
    assert torch.equal(decoder.decoder[0].mlp[3].bias, state['context_decoder.decoder.0.mlp.3.bias'])
    assert torch.equal(decoder.decoder[0].cross_attn.k_proj.weight,
                       state['context_decoder.decoder.0.cross_attn.k_proj.weight'])
    positions = model.text_encoder.positional_embedding  # the config's context length (77), from 13 released rows
    assert positions.shape == (model.text_encoder.context_length, 32)
    assert torch.equal(positions[:13], state['text_encoder.positional_embedding'])
    assert not positions[13:].any()
    assert torch.equal(model.backbone.attnpool.c_proj.weight, state['backbone.attnpool.c_proj.weight'])
    assert torch.equal(model.decode_head.conv_seg.weight, state['decode_head.conv_seg.weight'])

    unrelated = tmp_path / 'unrelated.pth'
    torch.save({'state_dict': {'conv.weight': torch.zeros(1)}}, unrelated)
    with pytest.raises(SystemExit, match='is not a released DenseCLIP checkpoint'):
        run_converter(tool, [unrelated, config, dst], capsys)


TINY_TEXT = "text_encoder=dict(arch=dict(_delete_=True, width=32, layers=1, heads=2, output_dim=32), init_cfg=None)"
TINY = {
    'vit-b16_ade20k': (f"""_base_ = ['{REPO}/configs/denseclip/denseclip_vit-b16_fpn_8xb4-80k_ade20k-640x640.py']
model = dict(
    backbone=dict(arch=dict(patch_size=16, width=64, layers=4, heads=2, output_dim=32, image_size=64),
                  out_indices=(0, 1, 2, 3), pyramid_norm_cfg=dict(type='BN'), init_cfg=None),
    {TINY_TEXT}, context_decoder=dict(width=16, heads=2, layers=1),
    neck=dict(in_channels=[64, 64, 64 + 150, 64], out_channels=16),
    decode_head=dict(in_channels=[16, 16, 16, 16], channels=16))
""", dict(kind='vit', width=64, layers=4, heads=2, output_dim=32, image_size=64), 'mmseg'),
    'retinanet_rn50_coco': (f"""_base_ = ['{REPO}/configs/denseclip/denseclip-retinanet_rn50_fpn_8xb2-1x_coco.py']
model = dict(
    backbone=dict(arch=dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=128), init_cfg=None),
    {TINY_TEXT}, context_decoder=dict(width=16, heads=2, layers=1),
    neck=dict(in_channels=[64, 128, 256, 512 + 80], out_channels=16),
    bbox_head=dict(in_channels=16, feat_channels=16, stacked_convs=1))
""", dict(kind='resnet', layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=128), 'mmdet'),
}


@pytest.mark.parametrize('name', list(TINY))
def test_tiny_released_vit_and_detector_load_strictly(name, tmp_path):
    text, backbone, codebase = TINY[name]
    config = tmp_path / f'{name}.py'
    config.write_text(text)
    model = build(config)
    state = released_for(model, backbone, dict(width=32, layers=1, heads=2, embed_dim=32), dict(width=16, layers=1))
    checkpoint = mmcv1_checkpoint(state, model.class_names, codebase)
    assert convert_released_checkpoint(checkpoint, model, f'{name}.pth').startswith('DenseCLIP')
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    ours = model.state_dict()
    if backbone['kind'] == 'vit':
        pairs = {'backbone.pyramid.levels.0.0.weight': 'backbone.fpn1.0.weight',  # GroupNorm
                 'backbone.pyramid.levels.0.2.running_mean': 'backbone.fpn1.2.running_mean',  # SyncBN
                 'backbone.pyramid.levels.0.4.weight': 'backbone.fpn1.4.weight',  # second deconv
                 'backbone.pyramid.levels.2.0.bias': 'backbone.fpn3.bias',  # the bare GroupNorm
                 'backbone.proj': 'backbone.proj'}
    else:
        pairs = {'bbox_head.retina_cls.weight': 'bbox_head.retina_cls.weight',
                 'neck.lateral_convs.2.conv.weight': 'neck.lateral_convs.2.conv.weight',
                 'backbone.attnpool.positional_embedding': 'backbone.attnpool.positional_embedding'}
    pairs['prompting.context_decoder.query_proj.0.weight'] = 'context_decoder.text_proj.0.weight'
    for key, ref in pairs.items():
        assert torch.equal(ours[key], state[ref]), key


def test_tools_test_reads_a_released_denseclip_file(demo_root, tmp_path):
    """tools/test.py CONFIG RELEASED_FILE --tta (the paper's multi-scale protocol): the layout is recognised at load
    and renamed into the names of the model inside mmseg's SegTTAModel."""
    model = build(DEMO_CONFIG)
    state = released_for(model, dict(kind='resnet', layers=(1, 1, 1, 1), width=16, output_dim=64, image_size=64),
                         dict(width=64, layers=2, heads=4, embed_dim=64), dict(width=32, layers=2))
    released = tmp_path / 'denseclip_release.pth'
    torch.save(mmcv1_checkpoint(state, model.class_names, 'mmseg'), released)

    checkpoint = torch.load(released, weights_only=True)  # what the hook does, in process
    assert convert_released_checkpoint(checkpoint, model, 'denseclip_release.pth').startswith('DenseCLIP')
    model.load_state_dict(checkpoint['state_dict'], strict=True)

    result = run_tool(['tools/test.py', DEMO_CONFIG, released, '--tta', '--work-dir', tmp_path / 'test',
                       '--cfg-options'] + seg_data_options(demo_root))
    assert result.returncode == 0, result.stderr[-3000:]
    log = ''.join(p.read_text() for p in (tmp_path / 'test').glob('*/*.log'))
    assert re.search(r'released DenseCLIP .* checkpoint converted to this model\'s names \(\d+ tensors\)', log)
    assert 'missing keys' not in log and 'unexpected key' not in log
    assert 'mIoU' in log and 'SegTTAModel' in log


def detectron2_name_by_reference_rules(key: str) -> str:
    """zdaxie/PixPro transfer/detection/convert_pretrain_to_d2.py's renaming of ``module.encoder.`` keys."""
    k = key.replace('module.encoder.', '')
    if 'layer' not in k:
        k = 'stem.' + k
    for t in (1, 2, 3, 4):
        k = k.replace(f'layer{t}', f'res{t + 1}')
    for t in (1, 2, 3):
        k = k.replace(f'bn{t}', f'conv{t}.norm')
    return k.replace('downsample.0', 'shortcut').replace('downsample.1', 'shortcut.norm')


def test_pixpro_release_to_pixpro_mmdet_and_detectron2(tmp_path, capsys):
    released = pixpro_release(depth=18, in_dim=512, inner_dim=512, out_dim=128, instance=True)
    state = released['model']
    src = tmp_path / 'pixpro_base_r18.pth'
    torch.save(released, src)
    tool = 'tools/model_converters/pixpro_release_to_mmengine.py'

    assert 'wrote' in run_converter(tool, [src, tmp_path / 'pixpro.pth'], capsys)
    model = build(PIXPRO_DEMO)
    model.load_state_dict(torch.load(tmp_path / 'pixpro.pth', weights_only=True)['state_dict'], strict=True)
    pairs = {'backbone.layer2.0.downsample.1.running_var': 'module.encoder.layer2.0.downsample.1.running_var',
             'momentum_backbone.conv1.weight': 'module.encoder_k.conv1.weight',
             'projector.0.weight': 'module.projector.linear1.weight', 'projector.1.bias': 'module.projector.bn1.bias',
             'momentum_projector.3.weight': 'module.projector_k.linear2.weight',
             'propagation.transform.weight': 'module.value_transform.weight',
             'momentum_projector_instance.3.bias': 'module.projector_instance_k.linear2.bias',
             'predictor.1.running_mean': 'module.predictor.bn1.running_mean'}
    ours = model.state_dict()
    for key, ref in pairs.items():
        assert torch.equal(ours[key], state[ref]), key

    run_converter(tool, [src, tmp_path / 'r18.pth', '--to', 'mmdet'], capsys)
    from mmdet.models.backbones import ResNet
    resnet = ResNet(depth=18)
    resnet.load_state_dict(torch.load(tmp_path / 'r18.pth', weights_only=True)['state_dict'], strict=True)
    assert torch.equal(resnet.layer4[1].conv2.weight, state['module.encoder.layer4.1.conv2.weight'])

    run_converter(tool, [src, tmp_path / 'r18_d2.pkl', '--to', 'detectron2'], capsys)
    with open(tmp_path / 'r18_d2.pkl', 'rb') as f:
        d2 = pickle.load(f)
    reference = {detectron2_name_by_reference_rules(k): v for k, v in state.items()
                 if k.startswith('module.encoder.') and not k.endswith('num_batches_tracked')}
    assert set(d2['model']) == set(reference)
    assert all((d2['model'][k] == v.numpy()).all() for k, v in reference.items())
    assert d2['matching_heuristics'] is True


def test_pixpro_release_loads_through_the_hook_and_rejects_other_keys():
    model = build(PIXPRO_DEMO)
    checkpoint = pixpro_release(depth=18, in_dim=512, inner_dim=512, out_dim=128, instance=True)
    assert convert_released_checkpoint(checkpoint, model, 'release.pth').startswith('PixPro')
    assert 'model' not in checkpoint
    model.load_state_dict(checkpoint['state_dict'], strict=True)

    from mmdet.models.backbones import ResNet  # a fine-tuning model receives the online encoder as its backbone
    detector = torch.nn.Module()
    detector.backbone = ResNet(depth=18)
    checkpoint = pixpro_release(depth=18, in_dim=512, inner_dim=512, out_dim=128, instance=False)
    convert_released_checkpoint(checkpoint, detector)
    detector.load_state_dict(checkpoint['state_dict'], strict=True)

    bad = pixpro_release(depth=18, in_dim=512, inner_dim=512, out_dim=128, instance=False)
    bad['model']['module.queue'] = torch.zeros(1)
    with pytest.raises(KeyError, match='"module.queue" is not a key of a released PixPro model'):
        convert_released_checkpoint(bad, model, 'release.pth')
    wrong_size = pixpro_release(depth=34, in_dim=512, inner_dim=512, out_dim=128, instance=True)
    with pytest.raises(ValueError, match='released PixPro weights do not fit this model: missing'):
        convert_released_checkpoint(wrong_size, model, 'release.pth')
