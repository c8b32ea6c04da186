"""DenseCLIP detectors (RetinaNet, Faster R-CNN, Mask R-CNN) train and predict; the box-filled targets are exact."""
import copy
import tempfile

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

import dense_align  # noqa: F401
from dense_align.denseclip.detectors import box_filled_targets

CLASSES = ['circle', 'square', 'fire hydrant']
TEXT = dict(type='CLIPTextTransformer', arch='tiny', context_length=20)
BACKBONE = dict(type='CLIPResNet', arch='tiny', with_attnpool=True)
NECK = dict(type='FPN', in_channels=[64, 128, 256, 512 + 3], out_channels=16, num_outs=5, start_level=1,
            add_extra_convs='on_input')


def detector_cfg(kind: str) -> dict:
    base = {'retinanet': 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
            'faster': 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
            'mask': 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'}[kind]
    with tempfile.NamedTemporaryFile('w', suffix='.py') as f:  # mmdet's own model-zoo config as the base
        f.write(f"_base_ = ['{base}']\n")
        f.flush()
        model = copy.deepcopy(Config.fromfile(f.name).model)
    model.backbone = ConfigDict(BACKBONE)
    model.text_encoder = ConfigDict(TEXT)
    model.class_names = CLASSES
    model.context_decoder = dict(width=16, heads=2, layers=1)
    model.num_context = 4
    if kind == 'retinanet':
        model.type = 'DenseCLIPRetinaNet'
        model.neck = ConfigDict(NECK)
        model.bbox_head.update(num_classes=3, in_channels=16, feat_channels=16, stacked_convs=1)
    else:
        model.type = 'DenseCLIPMaskRCNN' if kind == 'mask' else 'DenseCLIPFasterRCNN'
        model.neck = ConfigDict(dict(NECK, start_level=0, num_outs=5, add_extra_convs=False))
        model.rpn_head.update(in_channels=16, feat_channels=16)
        model.roi_head.bbox_roi_extractor.out_channels = 16
        model.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32, num_classes=3)
        if kind == 'mask':
            model.roi_head.mask_roi_extractor.out_channels = 16
            model.roi_head.mask_head.update(in_channels=16, conv_out_channels=16, num_classes=3)
    return model


@pytest.mark.parametrize('kind', ['retinanet', 'faster', 'mask'])
def test_detector_loss_and_predict(kind):
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(detector_cfg(kind))
    model.init_weights()
    packed = demo_mm_inputs(2, [[3, 64, 64], [3, 64, 64]], num_classes=3, with_mask=kind == 'mask')
    data = model.data_preprocessor(packed, True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert losses['loss_aux_seg'].item() > 0
    total = sum(v.sum() for k, v in losses.items() if 'loss' in k and isinstance(v, torch.Tensor))
    total.backward()
    assert model.prompting.prompt_learner.context.grad is not None
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 2 and hasattr(results[0], 'pred_instances')
    if kind == 'mask':
        assert 'masks' in results[0].pred_instances


def test_box_filled_targets():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample()
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[4.0, 8.0, 12.0, 16.0], [0.0, 0.0, 4.0, 4.0]]),
                                       labels=torch.tensor([2, 0]))
    targets, weights = box_filled_targets([sample], 3, (5, 5), 4)
    assert targets[0, 2].nonzero().tolist() == [[2, 1], [2, 2], [3, 1], [3, 2]]
    assert targets[0, 0].nonzero().tolist() == [[0, 0]] and targets[0, 1].sum() == 0
    assert weights.sum() == 5


def test_class_count_mismatch_is_explained():
    from mmdet.registry import MODELS
    cfg = detector_cfg('retinanet')
    cfg.class_names = CLASSES[:2]
    with DefaultScope.overwrite_default_scope('mmdet'), pytest.raises(ValueError, match='2 class_names but the head'):
        MODELS.build(cfg)
