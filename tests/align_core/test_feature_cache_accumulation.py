"""open_clip-style feature-cached accumulation: the summed gradient of the re-run micro-batches equals the gradient
of the big batch's contrastive loss, for every parameter including the temperature; mmengine-style accumulation
(each micro-batch alone) does not."""
import pytest
import torch
from torch import nn

from align_core.contrastive import LearnableTemperature, symmetric_infonce
from align_core.feature_cache_accumulation import FeatureCacheAccumulator


class TwoTowers(nn.Module):
    """Two linear towers and a temperature: the smallest CLIP."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.image, self.text = nn.Linear(6, 4), nn.Linear(5, 4)
        self.temperature = LearnableTemperature(0.1)

    def encode(self, batch):
        return self.image(batch[0]), self.text(batch[1])


def _grads(model: nn.Module) -> dict:
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def _data():
    torch.manual_seed(1)
    return torch.randn(12, 6), torch.randn(12, 5)


def test_cached_accumulation_gradient_equals_the_big_batch_gradient():
    images, texts = _data()
    big = TwoTowers()
    symmetric_infonce(*big.encode((images, texts)), big.temperature()).backward()
    want = _grads(big)

    model = TwoTowers()
    accumulator = FeatureCacheAccumulator(3)
    sizes = (5, 4, 3)  # unequal micro-batches (a last, smaller one)
    starts = (0, 5, 9)
    ready = [accumulator.add((images[s:s + n], texts[s:s + n]), model.encode) for s, n in zip(starts, sizes)]
    assert ready == [False, False, True]
    assert all(p.grad is None for p in model.parameters())  # caching computes no gradient

    def loss_fn(features, live):
        scale = model.temperature() if live else model.temperature().detach()
        return symmetric_infonce(features[0], features[1], scale)

    loss = accumulator.backward(model.encode, loss_fn, lambda value: value.backward())
    got = _grads(model)
    for name in want:
        assert torch.allclose(got[name], want[name], atol=1e-6), name
    assert loss.item() == pytest.approx(symmetric_infonce(*big.encode((images, texts)), big.temperature()).item(),
                                        rel=1e-6)
    assert accumulator.batches == [] and accumulator.features == []


def test_per_micro_batch_accumulation_is_not_the_big_batch_gradient():
    images, texts = _data()
    big = TwoTowers()
    symmetric_infonce(*big.encode((images, texts)), big.temperature()).backward()
    plain = TwoTowers()
    for rows in (slice(0, 4), slice(4, 8), slice(8, 12)):  # mmengine's accumulative_counts=3
        (symmetric_infonce(*plain.encode((images[rows], texts[rows])), plain.temperature()) / 3).backward()
    assert not torch.allclose(plain.image.weight.grad, big.image.weight.grad, atol=1e-3)


def test_temperature_live_in_every_pass_multiplies_its_gradient():
    """open_clip keeps logit_scale live in every pass: its gradient comes out accum_freq times; ours once."""
    images, texts = _data()
    big = TwoTowers()
    symmetric_infonce(*big.encode((images, texts)), big.temperature()).backward()
    model = TwoTowers()
    accumulator = FeatureCacheAccumulator(3)
    for rows in (slice(0, 4), slice(4, 8), slice(8, 12)):
        accumulator.add((images[rows], texts[rows]), model.encode)
    accumulator.backward(model.encode, lambda f, live: symmetric_infonce(f[0], f[1], model.temperature()),
                         lambda value: value.backward())
    want = big.temperature.logit_scale.grad
    assert torch.allclose(model.temperature.logit_scale.grad, 3 * want, atol=1e-6)
    assert torch.allclose(model.image.weight.grad, big.image.weight.grad, atol=1e-6)


def test_bad_use():
    with pytest.raises(ValueError, match='steps must be >= 1'):
        FeatureCacheAccumulator(0)
    with pytest.raises(RuntimeError, match='no micro-batch'):
        FeatureCacheAccumulator(2).backward(lambda b: b, lambda f, live: f, lambda v: None)
