"""DITO open-vocabulary detector: base-only training (label map, novel leak error), fusion wiring, and the
pre-trained pyramid / box head / text encoder loading key by key by config."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

import dense_align  # noqa: F401
from dense_align.registry import MODELS as DA_MODELS
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

REPO = Path(__file__).resolve().parents[3]
DETECTOR = REPO / 'configs/dito/dito-faster-rcnn_vit-tiny_fpn_1xb8-300it_demo-shapes-64x64.py'
PRETRAINED = REPO / 'configs/dito/dito-faster-rcnn_vit-tiny-pretrained_fpn_1xb8-300it_demo-shapes-64x64.py'
PRETRAINER = REPO / 'configs/dito/dito-pretrain_vit-tiny_fpn_1xb32-300it_demo-shapes-64x64.py'


def build(path=DETECTOR, **overrides):
    cfg = Config.fromfile(str(path))
    vocabulary = dict(class_names=cfg.metainfo.classes, novel_classes=cfg.metainfo.novel_classes)
    cfg.model.update(dict(vocabulary, **overrides))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def point_checkpoints(node, path: str) -> int:
    """Replace every ``checkpoint`` value inside a config by ``path``; return how many were replaced."""
    count = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'checkpoint':
                node[key] = path
                count += 1
            else:
                count += point_checkpoints(value, path)
    elif isinstance(node, (list, tuple)):
        count += sum(point_checkpoints(item, path) for item in node)
    return count


def batch(model, labels, training=True):
    torch.manual_seed(1)
    images = [(torch.rand(3, 64, 64) * 255).byte() for _ in labels]
    samples = []
    for lab in labels:
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0)))
        boxes = torch.tensor([[4.0, 4.0, 30.0, 30.0], [30.0, 28.0, 60.0, 58.0]])[:len(lab)]
        sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.tensor(lab))
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), training)


def test_training_maps_labels_to_base_classes_and_scores_base_only():
    model = build()
    assert model.label_map.tolist() == [0, 1, 2, -1, 3, -1]  # yellow star, dotted circle are novel
    data = batch(model, [[0, 4], [2]])
    losses = model(**data, mode='loss')
    assert model.roi_head.bbox_head.num_classes == 4
    assert data['data_samples'][0].gt_instances.labels.tolist() == [0, 3]  # 'striped square' is base index 3
    assert torch.isfinite(losses['loss_cls'])


def test_novel_class_in_training_annotations_is_an_error_naming_it():
    model = build()
    with pytest.raises(ValueError, match=r"novel classes \['dotted circle'\]"):
        model(**batch(model, [[0, 5]]), mode='loss')


def test_unknown_novel_name_is_an_error():
    with pytest.raises(ValueError, match=r"novel_classes \['purple hexagon'\] are not in classes"):
        build(novel_classes=('purple hexagon', ))


def test_fusion_with_zero_weights_equals_the_plain_detector_and_predicts_all_classes():
    plain = build(vlm=None).eval()
    fused = build().eval()
    fused.load_state_dict(plain.state_dict(), strict=False)
    fused.roi_head.base_vlm_weight = fused.roi_head.novel_vlm_weight = 0.0
    with torch.no_grad():
        a = plain(**batch(plain, [[0], [1]], False), mode='predict')
        b = fused(**batch(fused, [[0], [1]], False), mode='predict')
        fused.roi_head.novel_vlm_weight = 0.65
        c = fused(**batch(fused, [[0], [1]], False), mode='predict')
    assert fused.roi_head.bbox_head.num_classes == 6
    for x, y in zip(a, b):
        torch.testing.assert_close(x.pred_instances.scores, y.pred_instances.scores, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(x.pred_instances.bboxes, y.pred_instances.bboxes)
    assert not torch.allclose(a[0].pred_instances.scores, c[0].pred_instances.scores)


def test_pretrained_pyramid_box_head_and_text_encoder_load_key_by_key(tmp_path):
    cfg = Config.fromfile(str(PRETRAINER))
    torch.manual_seed(123)
    pretrainer = DA_MODELS.build(cfg.model)
    pretrainer.init_weights()
    state = pretrainer.state_dict()
    ckpt = tmp_path / 'dito_pretrain.pth'
    torch.save(dict(state_dict=state, meta=dict()), ckpt)
    det_cfg = Config.fromfile(str(PRETRAINED))
    model_cfg = det_cfg.model
    assert point_checkpoints(model_cfg, str(ckpt)) == 5  # backbone, neck, box head, text encoder, frozen ViT
    model_cfg.update(class_names=det_cfg.metainfo.classes, novel_classes=det_cfg.metainfo.novel_classes)
    detector = MODELS.build(model_cfg)
    detector.init_weights()
    det_state = detector.state_dict()
    mapping = {'backbone.': ['backbone.', 'vlm.backbone.'], 'neck.': ['neck.'],
               'bbox_head.': ['roi_head.bbox_head.'], 'text_encoder.': ['text_encoder.']}
    checked = 0
    for key, value in state.items():
        for prefix, targets in mapping.items():
            if key.startswith(prefix):
                for target in targets:
                    if target == 'vlm.backbone.' and '.pyramid.' in '.' + key:
                        continue  # the frozen ViT has no pyramid
                    torch.testing.assert_close(det_state[target + key[len(prefix):]], value, msg=key)
                    checked += 1
    assert checked >= len([k for k in state if not k.startswith(('bbox_roi_extractor', 'temperature'))])
    # the box regressor and the background embedding are new
    assert 'roi_head.bbox_head.fc_reg.weight' in det_state and 'bbox_head.fc_reg.weight' not in state
