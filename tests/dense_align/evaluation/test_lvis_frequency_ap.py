"""LVIS AP_r / AP_c / AP_f (bbox and segm) through mmdet's LVISMetric on numpy 2, against hand values and lvis."""
import json

import numpy as np
import pytest
import torch

import dense_align  # noqa: F401  (numpy-2 shim for lvis)
from dense_align.evaluation.ov_lvis_metric import OpenVocabLVISMetric
from dense_align.registry import METRICS

SIZE = 64
CATEGORIES = [dict(id=1, name='rare_thing', frequency='r'), dict(id=2, name='common_thing', frequency='c'),
              dict(id=3, name='frequent_thing', frequency='f')]
GT = [(1, 1, [4, 4, 20, 20]), (2, 2, [30, 30, 20, 16]), (1, 3, [36, 8, 16, 24]), (2, 3, [4, 40, 12, 12])]
# rare: a false positive outscores the only hit -> precision 1/2 at every recall: AP_r = 0.5 at every IoU.
# common: exact -> 1. frequent: one of two found, nothing wrong -> precision 1 up to recall 1/2: AP_f = 51 / 101.
PREDICTIONS = [(1, 1, [44, 44, 10, 10], 0.9), (1, 1, [4, 4, 20, 20], 0.8), (2, 2, [30, 30, 20, 16], 0.9),
               (1, 3, [36, 8, 16, 24], 0.7)]
AP_R, AP_C, AP_F = 0.5, 1.0, 51 / 101


def _polygon(box):
    x, y, w, h = box
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


@pytest.fixture()
def lvis_file(tmp_path):
    images = [dict(id=i, width=SIZE, height=SIZE, neg_category_ids=[2] if i == 1 else [1],
                   not_exhaustive_category_ids=[], coco_url=f'{i}.jpg') for i in (1, 2)]
    anns = [dict(id=k + 1, image_id=img, category_id=cat, bbox=box, area=box[2] * box[3], segmentation=_polygon(box))
            for k, (img, cat, box) in enumerate(GT)]
    cats = [dict(c, image_count=1, instance_count=1, synset=c['name'], synonyms=[c['name']]) for c in CATEGORIES]
    path = tmp_path / 'lvis_val_tiny.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    return path


def _evaluate(ann_file, predictions):
    metric = METRICS.build(dict(type='OpenVocabLVISMetric', ann_file=str(ann_file), metric=['bbox', 'segm']))
    metric.dataset_meta = dict(classes=tuple(c['name'] for c in CATEGORIES))
    samples = []
    for img_id in (1, 2):
        mine = [p for p in predictions if p[0] == img_id]
        masks = torch.zeros(len(mine), SIZE, SIZE, dtype=torch.bool)
        for k, (_, _, (x, y, w, h), _) in enumerate(mine):
            masks[k, y:y + h, x:x + w] = True
        samples.append(dict(img_id=img_id, ori_shape=(SIZE, SIZE), pred_instances=dict(
            bboxes=torch.tensor([[x, y, x + w, y + h] for _, _, (x, y, w, h), _ in mine], dtype=torch.float32),
            scores=torch.tensor([p[3] for p in mine]), labels=torch.tensor([p[1] - 1 for p in mine]), masks=masks)))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _lvis_directly(ann_file, predictions):
    from lvis import LVIS, LVISEval, LVISResults
    gt = LVIS(str(ann_file))
    dt = LVISResults(gt, [dict(image_id=i, category_id=c, bbox=b, score=s) for i, c, b, s in predictions])
    evaluator = LVISEval(gt, dt, 'bbox')
    evaluator.run()
    return evaluator.get_results()


def test_perfect_predictions_score_one(lvis_file):
    result = _evaluate(lvis_file, [(i, c, b, 1.0) for i, c, b in GT])
    for kind in ('bbox', 'segm'):
        for key in ('AP', 'APr', 'APc', 'APf'):
            assert result[f'lvis/{kind}_{key}'] == pytest.approx(1.0), (kind, key)


def test_imperfect_predictions_match_hand_values_and_lvis(lvis_file):
    result = _evaluate(lvis_file, PREDICTIONS)
    direct = _lvis_directly(lvis_file, PREDICTIONS)
    expected = dict(APr=AP_R, APc=AP_C, APf=AP_F, AP=np.mean([AP_R, AP_C, AP_F]))
    for key, value in expected.items():
        assert direct[key] == pytest.approx(value, abs=1e-6), key
        for kind in ('bbox', 'segm'):  # LVISMetric rounds to 3 decimals
            assert result[f'lvis/{kind}_{key}'] == pytest.approx(value, abs=5e-4), (kind, key)


def test_a_file_without_frequencies_is_named(lvis_file, tmp_path):
    data = json.loads(lvis_file.read_text())
    del data['categories'][1]['frequency']
    bad = tmp_path / 'lvis_no_frequency.json'
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"lvis_no_frequency.json: 1 LVIS categories have no \"frequency\".*"
                                         r"\(2, 'common_thing'\)"):
        OpenVocabLVISMetric(ann_file=str(bad))
