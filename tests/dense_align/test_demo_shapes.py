"""The demo-data generator writes deterministic data in the real formats, read unchanged by mmseg, mmdet and
pycocotools."""
import filecmp
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from dense_align.datasets import CLASSES, SEG_CLASSES, SEG_PALETTE, DemoShapesSpec, generate_demo_shapes, is_generated

REPO = Path(__file__).resolve().parents[2]


def test_generation_is_deterministic_and_split_independent(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    generate_demo_shapes(str(a), DemoShapesSpec(num_train=6, num_val=3, seed=3))
    # a different number of training images must not change the validation images
    generate_demo_shapes(str(b), DemoShapesSpec(num_train=2, num_val=3, seed=3))
    for name in ('000000.png', '000002.png'):
        assert filecmp.cmp(a / 'images/val' / name, b / 'images/val' / name, shallow=False)
        assert filecmp.cmp(a / 'seg_masks/val' / name, b / 'seg_masks/val' / name, shallow=False)
    c = tmp_path / 'c'
    generate_demo_shapes(str(c), DemoShapesSpec(num_train=6, num_val=3, seed=4))
    assert not filecmp.cmp(a / 'images/train/000000.png', c / 'images/train/000000.png', shallow=False)
    assert is_generated(str(a), DemoShapesSpec(num_train=6, num_val=3, seed=3))
    assert not is_generated(str(a), DemoShapesSpec(num_train=7, num_val=3, seed=3))
    (a / 'images/train/000001.png').unlink()
    assert not is_generated(str(a), DemoShapesSpec(num_train=6, num_val=3, seed=3))


def test_bad_spec_is_rejected(tmp_path):
    with pytest.raises(ValueError, match='size'):
        generate_demo_shapes(str(tmp_path), DemoShapesSpec(size=8))


def test_coco_instances_agree_with_semantic_masks(demo_root):
    coco = COCO(str(demo_root / 'annotations/instances_train.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(CLASSES)
    assert len(coco.getImgIds()) == 24
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        image = np.array(Image.open(demo_root / 'images/train' / info['file_name']))
        seg = np.array(Image.open(demo_root / 'seg_masks/train' / info['file_name']))
        assert image.shape == (64, 64, 3) and image.dtype == np.uint8
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert 1 <= len(anns) <= 3
        assert sorted(np.unique(seg[seg > 0]).tolist()) == sorted({a['category_id'] for a in anns})
        for ann in anns:
            from_polygon = coco.annToMask(ann).astype(bool)
            from_seg = seg == ann['category_id']
            x, y, w, h = ann['bbox']
            from_seg[:, :int(x)] = from_seg[:, int(x + w):] = False  # other instances of the same class
            from_seg[:int(y), :] = from_seg[int(y + h):, :] = False
            assert np.array_equal(from_polygon, from_seg), (img_id, ann['id'])
            assert ann['area'] == from_seg.sum()
            rle = mask_utils.encode(np.asfortranarray(from_seg.astype(np.uint8)))
            assert np.allclose(mask_utils.toBbox(rle), ann['bbox'])


def test_captions_name_every_object(demo_root):
    instances = json.loads((demo_root / 'annotations/instances_val.json').read_text())
    captions = COCO(str(demo_root / 'annotations/captions_val.json'))
    for image in instances['images']:
        caption = captions.loadAnns(captions.getAnnIds(imgIds=image['id']))[0]['caption']
        names = {CLASSES[a['category_id'] - 1] for a in instances['annotations'] if a['image_id'] == image['id']}
        assert caption.startswith('a photo of ')
        for name in names:
            assert name in caption
        for other in set(CLASSES) - names:
            assert other not in caption


def test_dataset_configs_match_the_generator():
    seg = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo_shapes_seg.py'))
    det = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo_shapes_det.py'))
    assert tuple(seg.metainfo.classes) == SEG_CLASSES
    assert [tuple(c) for c in seg.metainfo.palette] == list(SEG_PALETTE)
    assert tuple(det.metainfo.classes) == CLASSES


def test_mmseg_dataset_and_iou_metric_read_it(demo_root):
    from mmseg.datasets import BaseSegDataset
    from mmseg.evaluation import IoUMetric
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo_shapes_seg.py'))
    ds_cfg = cfg.val_dataloader.dataset
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = BaseSegDataset(data_root=str(demo_root), metainfo=dict(ds_cfg.metainfo), data_prefix=ds_cfg.data_prefix,
                                 img_suffix='.png', seg_map_suffix='.png', pipeline=ds_cfg.pipeline)
        items = [dataset[i] for i in range(len(dataset))]
    assert len(dataset) == 8
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dataset.metainfo
    samples = []
    for item in items:
        gt = item['data_samples'].gt_sem_seg.data
        samples.append(dict(pred_sem_seg=dict(data=gt.clone()), gt_sem_seg=dict(data=gt)))
    metric.process([], samples)
    result = metric.evaluate(len(samples))
    assert result['mIoU'] == pytest.approx(100.0)
    assert result['aAcc'] == pytest.approx(100.0)


def test_mmdet_dataset_and_coco_metric_read_it(demo_root):
    from mmdet.datasets import CocoDataset
    from mmdet.evaluation import CocoMetric
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo_shapes_det.py'))
    ds_cfg = cfg.val_dataloader.dataset
    dataset = CocoDataset(data_root=f'{demo_root}/', ann_file=ds_cfg.ann_file, data_prefix=ds_cfg.data_prefix,
                          metainfo=dict(ds_cfg.metainfo), test_mode=True, pipeline=[])
    assert len(dataset) == 8
    metric = CocoMetric(ann_file=str(demo_root / 'annotations/instances_val.json'), metric=['bbox', 'segm'])
    metric.dataset_meta = dataset.metainfo
    samples = []
    for info in dataset:
        bboxes = torch.tensor([inst['bbox'] for inst in info['instances']], dtype=torch.float32)
        labels = torch.tensor([inst['bbox_label'] for inst in info['instances']])
        masks = torch.from_numpy(np.stack([
            mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(inst['mask'], 64, 64)))
            for inst in info['instances']])).bool()
        pred = dict(bboxes=bboxes, labels=labels, scores=torch.ones(len(labels)), masks=masks)
        samples.append(dict(img_id=info['img_id'], ori_shape=(64, 64), pred_instances=pred))
    metric.process({}, samples)
    result = metric.evaluate(len(samples))
    assert result['coco/bbox_mAP'] == pytest.approx(1.0)
    assert result['coco/segm_mAP'] == pytest.approx(1.0)
