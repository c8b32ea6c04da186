"""OV-COCO novel / base AP50 through mmdet 3.3's OVCocoMetric, against hand-computed values and pycocotools."""
import json

import numpy as np
import pytest
import torch
from mmdet.registry import METRICS as MMDET_METRICS
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from dense_align.evaluation.ov_coco_split import OpenVocabCocoMetric

CLASSES = ('person', 'bicycle', 'airplane', 'bus')
BASE, NOVEL = ('person', 'bicycle'), ('airplane', 'bus')
# (image id, category id, xywh box)
GT = [(1, 1, [10, 10, 30, 30]), (1, 3, [50, 50, 40, 30]), (2, 2, [5, 5, 20, 40]), (2, 4, [60, 10, 30, 30]),
      (2, 3, [10, 60, 20, 20]), (3, 1, [20, 20, 20, 20]), (3, 4, [50, 50, 40, 40])]
# An imperfect detector. airplane: a false positive outscores the one hit, the second airplane is missed ->
# precision 1/2 up to recall 1/2, then 0: AP50 = 0.5 * 51 / 101. bus: one exact hit, one at IoU 0.67 -> AP50 = 1.
# person: one hit, one miss, a low-scored false positive -> 51 / 101. bicycle: exact -> 1.
PREDICTIONS = [(1, 3, [0, 0, 8, 8], 0.95), (1, 3, [50, 50, 40, 30], 0.9), (2, 4, [66, 10, 30, 30], 0.8),
               (3, 4, [50, 50, 40, 40], 0.7), (1, 1, [10, 10, 30, 30], 0.9), (3, 1, [80, 80, 10, 10], 0.3),
               (2, 2, [5, 5, 20, 40], 0.6)]
NOVEL_AP50 = (0.5 * 51 / 101 + 1) / 2
BASE_AP50 = (51 / 101 + 1) / 2


@pytest.fixture()
def coco_file(tmp_path):
    images = [dict(id=i, file_name=f'{i}.jpg', width=100, height=100) for i in (1, 2, 3)]
    anns = [dict(id=k + 1, image_id=img, category_id=cat, bbox=box, area=box[2] * box[3], iscrowd=0)
            for k, (img, cat, box) in enumerate(GT)]
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(CLASSES)]
    path = tmp_path / 'instances_val_ov.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=categories)))
    return str(path)


def _metric(ann_file, base=BASE, novel=NOVEL):
    metric = MMDET_METRICS.build(dict(type='OpenVocabCocoMetric', ann_file=ann_file, metric='bbox'))  # mmdet scope
    assert isinstance(metric, OpenVocabCocoMetric)
    metric.dataset_meta = dict(classes=CLASSES, base_classes=base, novel_classes=novel)
    return metric


def _evaluate(metric, predictions):
    samples = []
    for img_id in (1, 2, 3):
        mine = [p for p in predictions if p[0] == img_id]
        boxes = torch.tensor([[x, y, x + w, y + h] for _, _, (x, y, w, h), _ in mine], dtype=torch.float32)
        samples.append(dict(img_id=img_id, ori_shape=(100, 100), pred_instances=dict(
            bboxes=boxes.reshape(-1, 4), scores=torch.tensor([p[3] for p in mine]),
            labels=torch.tensor([p[1] - 1 for p in mine], dtype=torch.long))))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _pycocotools_ap50(ann_file, predictions, cat_ids):
    gt = COCO(ann_file)
    dt = gt.loadRes([dict(image_id=i, category_id=c, bbox=b, score=s) for i, c, b, s in predictions])
    evaluator = COCOeval(gt, dt, 'bbox')
    evaluator.params.catIds = cat_ids
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator.stats[1]  # AP at IoU 0.5, all areas, 100 detections


def test_perfect_detections_score_one(coco_file):
    result = _evaluate(_metric(coco_file), [(i, c, b, 1.0) for i, c, b in GT])
    assert result['coco/novel_ap50'] == pytest.approx(1.0)
    assert result['coco/base_ap50'] == pytest.approx(1.0)
    assert result['coco/bbox_mAP_50'] == pytest.approx(1.0)


def test_imperfect_detections_match_hand_values_and_pycocotools(coco_file):
    result = _evaluate(_metric(coco_file), PREDICTIONS)
    assert result['coco/novel_ap50'] == pytest.approx(NOVEL_AP50, abs=1e-6)
    assert result['coco/base_ap50'] == pytest.approx(BASE_AP50, abs=1e-6)
    assert _pycocotools_ap50(coco_file, PREDICTIONS, [3, 4]) == pytest.approx(NOVEL_AP50, abs=1e-6)
    assert _pycocotools_ap50(coco_file, PREDICTIONS, [1, 2]) == pytest.approx(BASE_AP50, abs=1e-6)
    all_ap50 = _pycocotools_ap50(coco_file, PREDICTIONS, [1, 2, 3, 4])
    assert result['coco/bbox_mAP_50'] == pytest.approx(round(all_ap50, 3))
    assert np.isclose(all_ap50, (NOVEL_AP50 + BASE_AP50) / 2)


def test_a_split_that_does_not_match_the_file_is_an_error(coco_file):
    # pycocotools answers an empty name list with every category, and drops unknown names: both would silently
    # turn "novel AP50" into something else
    with pytest.raises(ValueError, match=r"novel_classes is empty"):
        _evaluate(_metric(coco_file, novel=()), PREDICTIONS)
    with pytest.raises(ValueError, match=r"novel_classes \['aeroplane'\] .* not categories of .*instances_val_ov.json"):
        _evaluate(_metric(coco_file, novel=('aeroplane', 'bus')), PREDICTIONS)
    with pytest.raises(ValueError, match=r"\['bus'\] .* both base and novel"):
        _evaluate(_metric(coco_file, base=('person', 'bicycle', 'bus')), PREDICTIONS)
    with pytest.raises(KeyError, match="dataset_meta needs 'base_classes' and 'novel_classes'"):
        metric = OpenVocabCocoMetric(ann_file=coco_file, metric='bbox')
        metric.dataset_meta = dict(classes=CLASSES)
        _evaluate(metric, PREDICTIONS)
