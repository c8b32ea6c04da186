"""Image-text pre-training: caption datasets in every format, retrieval/zero-shot metric, the CLIPPretrainer in its
three modes, and a short training run under tools/train.py on the demo captions."""
import json

import pytest
import torch
from mmengine.registry import DefaultScope

from conftest import REPO, run_tool
from dense_align.evaluation import ImageTextMetric, retrieval_recalls
from dense_align.imagetext import ImageCaptionDataset
from dense_align.registry import MODELS

CONFIG = REPO / 'configs/imagetext/clip_rn-tiny_1xb128-600it_demo-shapes-64x64.py'


def test_caption_dataset_formats(demo_root, tmp_path):
    coco = ImageCaptionDataset(ann_file='annotations/captions_val.json', label_file='annotations/instances_val.json',
                               data_root=str(demo_root), data_prefix=dict(img='images/val'), lazy_init=False)
    assert len(coco) == 8
    first = coco.get_data_info(0)
    assert first['caption'].startswith('a photo of') and first['img_path'].endswith('images/val/000000.png')
    assert 0 <= first['gt_label'] < 6
    (tmp_path / 'pairs.jsonl').write_text('{"image": "a.png", "caption": "a cat"}\n{"image": "b.png", '
                                          '"caption": "a dog"}\n')
    (tmp_path / 'pairs.csv').write_text('image,caption\na.png,a cat\n')
    (tmp_path / 'bad.json').write_text(json.dumps([{'img': 'a.png', 'text': 'x'}]))
    (tmp_path / 'empty.json').write_text('[]')
    jsonl = ImageCaptionDataset(ann_file=str(tmp_path / 'pairs.jsonl'), data_prefix=dict(img='imgs'))
    assert [d['caption'] for d in jsonl] == ['a cat', 'a dog'] and jsonl[1]['img_path'] == 'imgs/b.png'
    assert jsonl[0]['gt_label'] == -1
    assert ImageCaptionDataset(ann_file=str(tmp_path / 'pairs.csv'))[0]['caption'] == 'a cat'
    with pytest.raises(KeyError, match='record 0 needs "image" and "caption"'):
        ImageCaptionDataset(ann_file=str(tmp_path / 'bad.json'))
    with pytest.raises(ValueError, match='no image-caption pairs'):
        ImageCaptionDataset(ann_file=str(tmp_path / 'empty.json'))


def test_retrieval_recalls():
    eye = torch.eye(4)
    assert retrieval_recalls(eye, eye, ['a', 'b', 'c', 'd'], ks=(1, )) == {'i2t_R@1': 100.0, 't2i_R@1': 100.0}
    # images 0 and 1 are each closest to the other's caption, their own comes second: R@1 = 50, R@2 = 100
    text = eye.clone()
    text[0], text[1] = torch.tensor([0.6, 0.8, 0.0, 0.0]), torch.tensor([0.8, 0.6, 0.0, 0.0])
    out = retrieval_recalls(eye, text, ['a', 'b', 'c', 'd'], ks=(1, 2))
    assert out['i2t_R@1'] == 50.0 and out['i2t_R@2'] == 100.0
    # identical captions count as the same answer
    assert retrieval_recalls(eye, eye[[1, 0, 2, 3]], ['x', 'x', 'c', 'd'], ks=(1, ))['i2t_R@1'] == 100.0


def test_metric_reports_zero_shot_accuracy():
    metric = ImageTextMetric(ks=(1, ))
    samples = [dict(image_embed=torch.eye(3)[i], text_embed=torch.eye(3)[i], caption=str(i), gt_label=i,
                    zero_shot_scores=torch.eye(3)[i if i < 2 else 0]) for i in range(3)]
    metric.process({}, samples)
    result = metric.evaluate(3)
    assert result['imagetext/zero_shot_top1'] == pytest.approx(200 / 3)
    assert result['imagetext/i2t_R@1'] == 100.0


def build_pretrainer(**overrides):
    from mmengine.config import Config
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(cfg)


def test_pretrainer_modes_and_cached_class_embeddings():
    from mmengine.structures import BaseDataElement
    torch.manual_seed(0)
    model = build_pretrainer()
    images = torch.randn(4, 3, 64, 64)
    samples = [BaseDataElement(metainfo=dict(caption=f'a photo of a {c}', gt_label=i, img_id=i))
               for i, c in enumerate(['red circle', 'blue square', 'yellow star', 'dotted circle'])]
    losses = model(images, samples, mode='loss')
    assert set(losses) == {'loss_itc', 'logit_scale'} and losses['loss_itc'].requires_grad
    losses['loss_itc'].backward()
    assert model.temperature.logit_scale.grad is not None
    assert model(images, mode='tensor').shape == (4, 64)
    model.eval()
    with torch.no_grad():
        preds = model(images, samples, mode='predict')
        model(images, samples, mode='predict')
    assert model._class_cache.computations == 1
    assert preds[0]['zero_shot_scores'].shape == (6, ) and preds[2]['gt_label'] == 2
    assert torch.allclose(preds[1]['image_embed'].norm(), torch.tensor(1.0))
    with pytest.raises(ValueError, match='joint space'):
        build_pretrainer(text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length=32))


def test_short_pretraining_run(demo_root, tmp_path):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={demo_root}/', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    opts += ['train_dataloader.batch_size=8', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
             'default_hooks.checkpoint.interval=4']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (next(tmp_path.glob('*/vis_data/scalars.json'))).read_text().splitlines()
    final = [json.loads(line) for line in lines if 'imagetext/t2i_R@1' in line][-1]
    assert 0 <= final['imagetext/zero_shot_top1'] <= 100 and 0 < final['imagetext/i2t_R@10'] <= 100
