"""DITO pre-training: shapes per pairing, the loss against a direct computation, bad pairing names."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import roi_align
from mmengine.config import Config
from mmengine.structures import BaseDataElement

import dense_align  # noqa: F401
from dense_align.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
CONFIG = str(REPO / 'configs/dito/dito-pretrain_vit-tiny_fpn_1xb32-300it_demo-shapes-64x64.py')
CAPTIONS = ['a red circle', 'a blue square and a star', 'a yellow star']


def build(pairing: str):
    cfg = Config.fromfile(CONFIG)
    cfg.model.pairing = pairing
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def samples():
    return [BaseDataElement(metainfo=dict(caption=c)) for c in CAPTIONS]


def direct_infonce(image: torch.Tensor, text: torch.Tensor, scale: float) -> torch.Tensor:
    """CLIP's loss written out: mean of -log softmax of the diagonal, both directions."""
    logits = scale * F.normalize(image, dim=-1) @ F.normalize(text, dim=-1).t()
    diag = torch.arange(len(image))
    return -(logits.log_softmax(1)[diag, diag].mean() + logits.log_softmax(0)[diag, diag].mean()) / 2


@pytest.mark.parametrize('pairing,terms', [('image_box_mean', 1), ('image_box_per_level', 4),
                                           ('random_boxes_mean', 1)])
def test_image_embedding_shapes(pairing, terms):
    model = build(pairing)
    embeds = model.image_embeddings(torch.randn(3, 3, 64, 64))
    assert [tuple(e.shape) for e in embeds] == [(3, 32)] * terms


def test_loss_equals_direct_computation_for_both_whole_image_pairings():
    x = torch.randn(3, 3, 64, 64)
    for pairing in ('image_box_mean', 'image_box_per_level'):
        model = build(pairing)
        with torch.no_grad():
            loss = model(x, samples(), mode='loss')['loss_itc']
            feats = model.neck(model.backbone(x)[:4])
            box = torch.tensor([[i, 0.0, 0.0, 64.0, 64.0] for i in range(3)])
            levels = []
            for feat, stride in zip(feats, (4, 8, 16, 32)):
                pooled = roi_align(feat.contiguous(), box, 7, 1.0 / stride, 0, 'avg', True)  # mmcv reads storage as NCHW
                hidden = F.relu(model.bbox_head.shared_fcs[1](F.relu(model.bbox_head.shared_fcs[0](pooled.flatten(1)))))
                levels.append(model.bbox_head.text_proj(hidden))
            text = model.text_encoder(model.tokenizer(CAPTIONS))
            scale = 1 / 0.07
            if pairing == 'image_box_mean':
                image = torch.stack([F.normalize(e, dim=-1) for e in levels]).mean(0)
                expected = direct_infonce(image, text, scale)
            else:
                expected = torch.stack([direct_infonce(e, text, scale) for e in levels]).mean()
        torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


def test_random_boxes_stay_inside_the_image():
    from dense_align.dito.region_pairing import random_rois
    rois = random_rois(2, 50, 64, 48, min_side=0.25, generator=torch.Generator().manual_seed(0))
    assert rois.shape == (100, 5)
    assert (rois[:, 1] >= 0).all() and (rois[:, 3] <= 48).all() and (rois[:, 4] <= 64).all()
    assert ((rois[:, 3] - rois[:, 1]) >= 0.25 * 48 - 1e-4).all()
    assert rois[:50, 0].eq(0).all() and rois[50:, 0].eq(1).all()


def test_unknown_pairing_names_the_choices():
    with pytest.raises(ValueError, match="image_box_mean.*got 'levels'"):
        build('levels')


def test_short_pretraining_run_under_tools_train(demo_root, tmp_path):
    import json

    from conftest import run_tool
    opts = []
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={demo_root}/', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    opts += ['train_dataloader.batch_size=8', 'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
             'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in next(tmp_path.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    losses = [line['loss_itc'] for line in lines if 'loss_itc' in line]
    assert len(losses) == 3 and all(0 < v < 10 for v in losses)
    assert any('imagetext/t2i_R@1' in line for line in lines)
    state = torch.load(tmp_path / 'iter_3.pth', map_location='cpu', weights_only=False)['state_dict']
    assert {k.split('.')[0] for k in state} == {'backbone', 'neck', 'bbox_head', 'text_encoder', 'temperature'}
