"""The PixPro model (momentum branch, losses, degenerate crops, bad settings) and the LARS optimizer."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

from dense_align.pixpro import LARS, PixPro, cosine_momentum
from dense_align.registry import MODELS

FULL, LEFT, RIGHT = [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.4, 1.0], [0.6, 0.0, 1.0, 1.0]


def tiny_pixpro(**kwargs) -> PixPro:
    cfg = dict(type='PixPro', backbone=dict(type='mmdet.ResNet', depth=18, out_indices=(3,), norm_eval=False),
               in_channels=512, hidden_channels=32, out_channels=16, total_iters=10)
    cfg.update(kwargs)
    init_default_scope('dense_align')  # other tests may leave another scope current
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def batch(model: PixPro, boxes, size: int = 64, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    views = [torch.randint(0, 256, (2, 3, size, size), generator=generator, dtype=torch.uint8) for _ in boxes]
    samples = []
    for pair in boxes:
        sample = BaseDataElement()
        sample.view_boxes = torch.tensor(pair)
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=views, data_samples=samples), True)


@pytest.fixture(autouse=True)
def no_runner_schedule(request):
    """A fresh current MessageHub without a Runner's counters, so that ``total_iters`` drives the momentum."""
    MessageHub.get_instance(f'pixpro-{request.node.name}')


def test_key_branch_starts_as_a_copy_and_gets_no_gradients():
    model = tiny_pixpro(loss_weights=dict(pixcontrast=1.0, instance=1.0))
    for online, key in model._momentum_pairs:
        for (name, p), q in zip(online.state_dict().items(), key.state_dict().values()):
            assert torch.equal(p, q), name
    losses = model(**batch(model, [[FULL, FULL], [FULL, LEFT]]), mode='loss')
    assert set(losses) == {'loss_propagation', 'loss_pixcontrast', 'loss_instance', 'momentum'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    for name, p in model.named_parameters():
        if name.startswith('momentum_'):
            assert not p.requires_grad and p.grad is None, name
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.propagation.transform.weight.grad.abs().sum() > 0


def test_each_step_moves_the_key_branch_by_the_scheduled_ema():
    model = tiny_pixpro()
    with torch.no_grad():
        for p in model.projector.parameters():
            p.add_(1.0)  # online and key now differ
    key_before = [p.clone() for p in model.momentum_projector.parameters()]
    online = [p.clone() for p in model.projector.parameters()]
    losses = model(**batch(model, [[FULL, LEFT]]), mode='loss')
    m = cosine_momentum(0, 10)
    assert losses['momentum'].item() == pytest.approx(m)
    for before, now, q in zip(key_before, model.momentum_projector.parameters(), online):
        torch.testing.assert_close(now, m * before + (1 - m) * q)
    assert model(**batch(model, [[FULL, LEFT]]), mode='loss')['momentum'].item() == pytest.approx(
        cosine_momentum(1, 10))


def test_runner_iteration_counters_drive_the_momentum():
    model = tiny_pixpro()
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 50)
    hub.update_info('max_iters', 100)
    assert model.current_momentum() == pytest.approx(0.995)


def test_disjoint_crops_contribute_nothing_and_never_nan():
    model = tiny_pixpro(loss_weights=dict(pixcontrast=1.0))
    losses = model(**batch(model, [[LEFT, RIGHT], [LEFT, RIGHT]]), mode='loss')
    assert losses['loss_propagation'].item() == 0 and losses['loss_pixcontrast'].item() == 0
    (losses['loss_propagation'] + losses['loss_pixcontrast']).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_losses_stay_in_their_ranges():
    model = tiny_pixpro(loss_weights=dict(instance=1.0))
    losses = model(**batch(model, [[FULL, LEFT], [FULL, FULL], [LEFT, RIGHT]]), mode='loss')
    assert -4 <= losses['loss_propagation'].item() <= 4
    assert -4 <= losses['loss_instance'].item() <= 4


MIXES = {  # loss weights -> the top-level modules that must exist (online + momentum copies)
    'pixpro': (dict(), {'backbone', 'projector', 'propagation'}),
    'pixcontrast': (dict(propagation=0.0, pixcontrast=1.0), {'backbone', 'projector'}),
    'byol': (dict(propagation=0.0, instance=1.0), {'backbone', 'projector_instance', 'predictor'}),
    'no-propagation': (dict(propagation=0.0, pixcontrast=1.0, instance=1.0),
                       {'backbone', 'projector', 'projector_instance', 'predictor'}),
}


@pytest.mark.parametrize('mix', sorted(MIXES))
def test_only_the_branches_a_loss_uses_are_built_and_all_get_gradients(mix):
    weights, online = MIXES[mix]
    model = tiny_pixpro(loss_weights=weights)
    built = {name for name, _ in model.named_children() if name != 'data_preprocessor'}
    key_branch = {'backbone', 'projector', 'projector_instance'}  # as the reference: encoder_k, projector[_instance]_k
    assert built == online | {f'momentum_{n}' for n in online & key_branch}
    losses = model(**batch(model, [[FULL, LEFT], [LEFT, FULL]]), mode='loss')
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'unused under DDP: {no_grad[:3]}'


def reference_regression_loss(q: torch.Tensor, k: torch.Tensor, box_q: list, box_k: list, ratio: float) -> float:
    """PixPro's regression_loss for one image, written out cell by cell (zdaxie/PixPro e390d6b,
    contrast/models/PixPro.py): cell centres from each view's box, positives closer than ``ratio`` x the larger bin
    diagonal, mean cosine over the positives, times -2."""
    c, h, w = q.shape
    def centres(box):
        bw, bh = (box[2] - box[0]) / w, (box[3] - box[1]) / h
        return [((x + 0.5) * bw + box[0], (y + 0.5) * bh + box[1]) for y in range(h) for x in range(w)], \
            (bw ** 2 + bh ** 2) ** 0.5
    cq, dq = centres(box_q)
    ck, dk = centres(box_k)
    total, count = 0.0, 0
    for a, (xa, ya) in enumerate(cq):
        for b, (xb, yb) in enumerate(ck):
            if ((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5 / max(dq, dk) < ratio:
                total += float(q[:, a // w, a % w] @ k[:, b // w, b % w])
                count += 1
    return -2 * total / (count + 1e-6)


def test_cross_view_pairing_matches_the_reference_on_an_asymmetric_example():
    """pred_1 is compared with key_2 under mask_12 (rows: view-1 cells) and pred_2 with key_1 under mask_21."""
    model = tiny_pixpro(base_momentum=1.0)  # the key branch stays as perturbed below
    with torch.no_grad():
        for p in model.momentum_backbone.parameters():
            p.mul_(0.9)
    boxes = [[[0.0, 0.1, 0.7, 0.9], [0.5, 0.0, 0.1, 0.6]], [[0.2, 0.2, 1.0, 1.0], [0.1, 0.0, 0.9, 0.7]]]
    data = batch(model, boxes, size=96)  # 3x3 feature maps
    losses = model(**data, mode='loss')
    views = data['inputs']
    with torch.no_grad():
        pred = [model.propagation(model.projector(model.extract_feat(views[:, v]))) for v in (0, 1)]
        key = [F.normalize(model.momentum_projector(model.momentum_backbone(views[:, v])[-1]), dim=1)
               for v in (0, 1)]
    def loss(a: int, b: int) -> float:  # pred of view a against key of view b, batch mean
        return sum(reference_regression_loss(pred[a][n], key[b][n], boxes[n][a], boxes[n][b], 0.7)
                   for n in range(2)) / 2
    assert losses['loss_propagation'].item() == pytest.approx(loss(0, 1) + loss(1, 0), abs=1e-5)
    assert abs(loss(0, 0) + loss(1, 1) - (loss(0, 1) + loss(1, 0))) > 1e-2  # same-view pairing would differ


def test_byol_alone_skips_the_pixel_branch():
    model = tiny_pixpro(loss_weights=dict(propagation=0.0, instance=1.0))
    assert set(model(**batch(model, [[FULL, LEFT]]), mode='loss')) == {'loss_instance', 'momentum'}


def test_tensor_mode_returns_the_encoder_features():
    model = tiny_pixpro()
    assert model(torch.zeros(2, 3, 64, 64), mode='tensor').shape == (2, 512, 2, 2)


@pytest.mark.parametrize('setting, message', [
    (dict(pos_ratio=0.0), 'pos_ratio must be > 0'),
    (dict(base_momentum=1.2), r'base_momentum must be in \[0, 1\]'),
    (dict(base_momentum=-0.1), r'base_momentum must be in \[0, 1\]'),
    (dict(loss_weights=dict(pixcontrast=1.0), pixcontrast_temperature=0.0), 'pixcontrast_temperature must be > 0'),
    (dict(loss_weights=dict(instance=-0.5)), r"loss_weights must be finite and >= 0, got \{'instance': -0.5\}"),
    (dict(loss_weights=dict(propagation=float('nan'))), 'loss_weights must be finite'),
    (dict(propagation=dict(transform_layers=1, gamma=0.0)), 'gamma must be > 0'),
])
def test_out_of_range_settings_name_the_argument(setting, message):
    with pytest.raises(ValueError, match=message):
        tiny_pixpro(**setting)


def test_bad_settings_and_inputs_are_named():
    with pytest.raises(KeyError, match='instanse'):
        tiny_pixpro(loss_weights=dict(instanse=1.0))
    with pytest.raises(ValueError, match='positive'):
        tiny_pixpro(loss_weights=dict(propagation=0.0))
    model = tiny_pixpro()
    with pytest.raises(ValueError, match='pre-training model'):
        model(torch.zeros(1, 3, 64, 64), mode='predict')
    data = batch(model, [[FULL, LEFT]])
    with pytest.raises(ValueError, match='view_boxes'):
        model(data['inputs'], None, mode='loss')


def test_lars_leaves_1d_parameters_to_plain_sgd():
    bias = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    reference = torch.nn.Parameter(bias.detach().clone())
    lars = LARS([bias], lr=0.1, momentum=0.9, weight_decay=0.5)
    sgd = torch.optim.SGD([reference], lr=0.1, momentum=0.9)  # no decay: LARS skips it for 1-D parameters
    for step in range(3):
        for p, opt in ((bias, lars), (reference, sgd)):
            p.grad = torch.tensor([0.3, 0.1, -0.2]) * (step + 1)
            opt.step()
    torch.testing.assert_close(bias, reference)


def test_lars_scales_weight_updates_by_the_trust_ratio():
    weight = torch.nn.Parameter(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    grad = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    weight.grad = grad.clone()
    before = weight.detach().clone()
    LARS([weight], lr=2.0, momentum=0.9, weight_decay=0.1, eta=0.01).step()
    update = grad + 0.1 * before
    expected = before - 2.0 * 0.01 * before.norm() / update.norm() * update
    torch.testing.assert_close(weight.detach(), expected)
    with pytest.raises(ValueError, match='eta'):
        LARS([weight], lr=0.1, eta=0.0)
