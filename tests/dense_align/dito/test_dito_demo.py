"""tools/demo_dito.py's bookkeeping: the base-only training file, the shortened schedule and the over-seeds summary."""
import importlib.util
import json
from pathlib import Path

import torch
from mmdet.registry import METRICS
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[3]


def load_demo():
    spec = importlib.util.spec_from_file_location('demo_dito', REPO / 'tools/demo_dito.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_base_only_annotations_drop_exactly_the_novel_boxes(demo_root, tmp_path):
    demo = load_demo()
    data = demo_root
    coco = json.loads((data / 'annotations/instances_train.json').read_text())
    novel = {c['id'] for c in coco['categories'] if c['name'] in demo.NOVEL}
    assert len(novel) == 2 and any(a['category_id'] in novel for a in coco['annotations'])
    kept = json.loads(Path(demo.base_only_annotations(str(data), str(tmp_path))).read_text())['annotations']
    assert len(kept) == sum(a['category_id'] not in novel for a in coco['annotations'])
    assert not {a['category_id'] for a in kept} & novel


def test_short_schedule_keeps_the_shape_and_drops_validation():
    demo = load_demo()
    cfg = Config.fromfile(str(demo.DETECTOR))
    demo.short_schedule(cfg, 120, 12, seed=3)
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=120)
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.randomness == dict(seed=3)
    assert cfg.param_scheduler[0].end == 12 and cfg.param_scheduler[1].milestones == [96, 108]
    cfg = Config.fromfile(str(demo.PRETRAIN))
    demo.short_schedule(cfg, 150, 15, seed=0)
    assert (cfg.param_scheduler[1].begin, cfg.param_scheduler[1].end) == (15, 150)


def test_summary_is_mean_min_max_over_seeds_per_row():
    demo = load_demo()
    units = [dict(init='dito', pairing='image_box_mean', retrieval={'i2t_R@1': 10.0},
                  detector={'novel_ap50': 0.2, 'base_ap50': 0.5}, fused={'novel_ap50': 0.3, 'base_ap50': 0.4}),
             dict(init='dito', pairing='image_box_mean', retrieval={'i2t_R@1': 20.0},
                  detector={'novel_ap50': 0.4, 'base_ap50': 0.7}, fused={'novel_ap50': 0.1, 'base_ap50': 0.6}),
             dict(init='random', pairing=None, retrieval={}, detector={'novel_ap50': 0.0, 'base_ap50': 0.3},
                  fused={'novel_ap50': 0.0, 'base_ap50': 0.2})]
    summary = demo.summarise(units)
    row = summary['dito (image_box_mean)']
    assert abs(row['novel_ap50 (detector)']['mean'] - 0.3) < 1e-12
    assert (row['i2t_R@1']['min'], row['i2t_R@1']['max']) == (10.0, 20.0)
    table = demo.report(summary)
    assert '| dito (image_box_mean) | 30.0 [20.0, 40.0] | 60.0 [50.0, 70.0] | 20.0 [10.0, 30.0] | 50.0 [40.0, 60.0] ' \
           '| 15.0 [10.0, 20.0] | - |' in table
    assert '| random | 0.0 [0.0, 0.0] | 30.0 [30.0, 30.0] | 0.0 [0.0, 0.0] | 20.0 [20.0, 20.0] | - | - |' in table


def _gt_as_predictions(coco: dict, classes: list, relabel: dict) -> list:
    """Every validation box as a detection of score 1, labelled by the config's class order (``relabel`` renames)."""
    names = {c['id']: c['name'] for c in coco['categories']}
    batches = []
    for image in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == image['id']]
        boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]).reshape(-1, 4)
        labels = torch.tensor([classes.index(relabel.get(names[a['category_id']], names[a['category_id']]))
                               for a in anns], dtype=torch.long)
        batches.append(dict(img_id=image['id'], ori_shape=(image['height'], image['width']),
                            pred_instances=dict(bboxes=boxes, scores=torch.ones(len(anns)), labels=labels)))
    return batches


def test_demo_metric_path_scores_ground_truth_one_and_mislabelled_novel_zero(demo_root):
    """The demo's evaluator with the detector config's class order: the validation boxes as predictions give base and
    novel AP50 = 1; the same boxes with every novel object called 'red circle' give novel AP50 = 0 (and base < 1,
    the extra red-circle detections being false positives)."""
    demo = load_demo()
    cfg = Config.fromfile(str(demo.DETECTOR))
    ann = str(demo_root / 'annotations/instances_val.json')
    coco = json.loads(Path(ann).read_text())
    classes = list(cfg.metainfo['classes'])
    results = {}
    for name, relabel in (('perfect', {}), ('novel_as_red_circle', {n: 'red circle' for n in demo.NOVEL})):
        metric = METRICS.build(dict(cfg.test_evaluator, ann_file=ann))
        metric.dataset_meta = dict(cfg.metainfo)
        metric.process({}, _gt_as_predictions(coco, classes, relabel))
        results[name] = metric.evaluate(len(coco['images']))
    assert results['perfect']['coco/base_ap50'] == 1.0 and results['perfect']['coco/novel_ap50'] == 1.0
    assert results['novel_as_red_circle']['coco/novel_ap50'] == 0.0
    assert results['novel_as_red_circle']['coco/base_ap50'] < 1.0


def test_demo_models_pool_the_roi_features_torchvision_pools():
    """The demo detector's and pre-trainer's RoI features equal torchvision's ``roi_align`` on the same maps (an
    independent implementation). Before the fix the ViT's channels-last maps reached mmcv's CPU ``roi_align``, which
    reads the storage as NCHW: scrambled features, and a detector that never learned a class."""
    from torchvision.ops import roi_align

    import dense_align  # noqa: F401
    from dense_align.registry import MODELS as DA_MODELS
    demo = load_demo()
    torch.manual_seed(0)
    images = torch.randn(2, 3, 64, 64)
    rois = torch.tensor([[0., 4., 6., 30., 28.], [1., 20., 10., 60., 50.], [1., 0., 0., 64., 64.]])
    detector = DA_MODELS.build(Config.fromfile(str(demo.DETECTOR)).model).eval()
    pretrainer = DA_MODELS.build(Config.fromfile(str(demo.PRETRAIN)).model).eval()
    with torch.no_grad():
        feats = detector.extract_feat(detector.data_preprocessor(
            dict(inputs=[img for img in images.mul(50).add(120)]), False)['inputs'])
        levels = pretrainer.level_features(images)
        for maps, layers in ((feats, detector.roi_head.bbox_roi_extractor.roi_layers),
                             (levels, pretrainer.bbox_roi_extractor.roi_layers)):
            for level, (feat, layer) in enumerate(zip(maps, layers)):
                expected = roi_align(feat.contiguous(), rois, 7, 1.0 / 2**(level + 2), 0, True)
                torch.testing.assert_close(layer(feat, rois), expected, rtol=1e-4, atol=1e-5)
