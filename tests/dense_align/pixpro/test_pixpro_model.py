"""The PixPro model (momentum branch, losses, degenerate crops, bad settings) and the LARS optimizer."""
import pytest
import torch
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


def test_byol_alone_skips_the_pixel_branch():
    model = tiny_pixpro(loss_weights=dict(propagation=0.0, instance=1.0))
    assert set(model(**batch(model, [[FULL, LEFT]]), mode='loss')) == {'loss_instance', 'momentum'}


def test_tensor_mode_returns_the_encoder_features():
    model = tiny_pixpro()
    assert model(torch.zeros(2, 3, 64, 64), mode='tensor').shape == (2, 512, 2, 2)


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
