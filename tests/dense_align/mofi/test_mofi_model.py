"""MOFIPretrainer: its classification loss is the full softmax over the entities of the image embedding
(multi-label), its contrastive loss CLIP's symmetric InfoNCE on entity texts, weights scale them, a zero weight
removes a head; and the demo config trains under tools/train.py and reports GPR1200-style mAP."""
import json

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from align_core.contrastive import symmetric_infonce
from conftest import REPO, run_tool
from dense_align.registry import MODELS

CONFIG = REPO / 'configs/mofi/mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
ENTITY_LABELS = [[0], [2, 5], [3], [1, 4, 0]]


def build(**overrides):
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(cfg)


def _samples(model):
    names = model.class_names
    return [BaseDataElement(metainfo=dict(entity_labels=labels, caption=names[labels[-1]], img_id=i, gt_label=labels[0]),
                            text_tokens=model.tokenizer(names[labels[-1]])[0]) for i, labels in enumerate(ENTITY_LABELS)]


def test_losses_equal_their_reference_formulas_and_weights_scale_them():
    torch.manual_seed(0)
    model = build(loss_weights=dict(cls=0.5, con=2.0))
    images = torch.randn(4, 3, 64, 64)
    samples = _samples(model)
    losses = model(images, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_con', 'logit_scale'}
    embed = model.encode_image(images)
    log_prob = F.log_softmax(embed @ model.entity_head.weight.t(), dim=1)
    want_cls = -torch.stack([log_prob[i, labels].mean() for i, labels in enumerate(ENTITY_LABELS)]).mean()
    torch.testing.assert_close(losses['loss_cls'], 0.5 * want_cls)
    text = model.encode_text(torch.stack([s.text_tokens for s in samples]))
    torch.testing.assert_close(losses['loss_con'], 2.0 * symmetric_infonce(embed, text, model.temperature()))


def test_zero_weight_removes_a_head_and_predict_scores_entity_names():
    model = build(loss_weights=dict(con=0.0))
    assert set(model(torch.randn(4, 3, 64, 64), _samples(model), mode='loss')) == {'loss_cls'}
    model = build(loss_weights=dict(cls=0.0))
    assert model.entity_head is None
    assert set(model(torch.randn(4, 3, 64, 64), _samples(model), mode='loss')) == {'loss_con', 'logit_scale'}
    model.eval()
    with torch.no_grad():
        preds = model(torch.randn(2, 3, 64, 64), _samples(model)[:2], mode='predict')
    assert preds[0]['image_embed'].norm().item() == pytest.approx(1.0, abs=1e-5)
    assert preds[1]['zero_shot_scores'].shape == (6, ) and preds[1]['gt_label'] == 2
    with pytest.raises(ValueError, match='loss_weights'):
        build(loss_weights=dict(cls=0.0, con=0.0))
    with pytest.raises(KeyError, match='entity_labels'):
        build()(torch.randn(1, 3, 64, 64), [BaseDataElement(metainfo=dict(caption='x', img_id=7))], mode='loss')


def write_i2e_labels(root, out):
    """Entity labels of the demo training images from their COCO instances (stand-in for an I2E run)."""
    coco = json.loads((root / 'annotations/instances_train.json').read_text())
    names = [c['name'] for c in coco['categories']]
    labels = {}
    for ann in coco['annotations']:
        labels.setdefault(ann['image_id'], []).append(ann['category_id'] - 1)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / 'entities.jsonl', 'w') as f:
        f.writelines(json.dumps(dict(id=f'Q{i}', name=n)) + '\n' for i, n in enumerate(names))
    with open(out / 'labels.jsonl', 'w') as f:
        for img in coco['images']:
            if img['id'] in labels:
                f.write(json.dumps(dict(image=f'images/train/{img["file_name"]}',
                                        labels=sorted(set(labels[img['id']])))) + '\n')


def test_demo_config_trains_and_reports_instance_retrieval(demo_root, tmp_path):
    write_i2e_labels(demo_root, demo_root / 'i2e')
    opts = [f'train_dataloader.dataset.data_root={demo_root}/', f'val_dataloader.dataset.data_root={demo_root}/',
            'train_dataloader.dataset.ann_file=i2e/labels.jsonl',
            'train_dataloader.dataset.entity_file=i2e/entities.jsonl', 'train_dataloader.batch_size=8',
            'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'param_scheduler=[]',
            'model.classifier.sample_rate=0.5']
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path / 'work', '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'loss_cls' in log and 'loss_con' in log and 'instance_retrieval/mAP' in log, log[-2000:]


@pytest.mark.parametrize('name,arch,batch', [('mofi_vit-b16_multitask_i2e-2m-224px.py', 'ViT-B/16', 256),
                                             ('mofi_vit-l14_multitask_i2e-2m-224px.py', 'ViT-L/14', 128)])
def test_paper_configs_parse_with_the_stated_settings(name, arch, batch):
    cfg = Config.fromfile(str(REPO / 'configs/mofi' / name))
    assert cfg.model.image_encoder.arch == arch and cfg.model.text_encoder.arch == arch
    assert cfg.model.num_entities == 2_000_000 and cfg.train_dataloader.batch_size == batch
    assert cfg.val_evaluator == dict(type='InstanceRetrievalMetric', domains='gpr1200', include_self=True)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
