"""The CLIP image encoders' inference fast path: equal to the plain forward (and to open_clip) within 1e-5, BatchNorm
folding against the hand formula, training forwards and gradients unchanged."""
import importlib
import types

import pytest
import torch
import torch.nn.functional as F
from open_clip.modified_resnet import ModifiedResNet
from open_clip.transformer import QuickGELU, VisionTransformer
from torch import nn

from dense_align.clip import CLIPResNet, CLIPViT
from dense_align.clip.fast_path import apply_test_fast_path, set_fast_inference
from dense_align.clip.layers import can_fold, conv_bn, fold_conv_bn, fused_linear
from dense_align.clip.layers.conv_bn import conv_bn_act

TINY_RN = dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=64)
TINY_VIT = dict(patch_size=8, width=64, layers=4, heads=2, output_dim=32, image_size=64)


def randomise_norms(model: nn.Module) -> None:
    """Non-trivial BatchNorm statistics and affine parameters, so that folding is not an identity."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_(0, 0.2)


def tiny_resnet_pair():
    torch.manual_seed(0)
    ref = ModifiedResNet(layers=[1, 1, 1, 1], output_dim=32, heads=8, image_size=64, width=16)
    randomise_norms(ref)
    ours = CLIPResNet(TINY_RN, with_attnpool=True)
    ours.load_state_dict(ref.state_dict())
    return ref.eval(), ours.eval()


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> bool:
    return torch.allclose(a, b, atol=tol, rtol=tol)


def test_fold_conv_bn_matches_hand_formula_and_skips_training_norms():
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(4, 6, 3, padding=1, bias=True), nn.BatchNorm2d(6)
    randomise_norms(bn)
    bn.eval()
    weight, bias = fold_conv_bn(conv, bn)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    assert close(weight, conv.weight * scale[:, None, None, None], 1e-6)
    assert close(bias, bn.bias + (conv.bias - bn.running_mean) * scale, 1e-6)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        assert close(conv_bn(x, conv, bn, fold=True), bn(conv(x)))
        # the no-grad cache follows in-place changes of the running statistics
        bn.running_var.mul_(3.0)
        assert close(conv_bn(x, conv, bn, fold=True), bn(conv(x)))
    bn.train()
    assert not can_fold(bn)
    before = bn.running_mean.clone()
    out = conv_bn(x, conv, bn, fold=True)  # a training-mode norm is applied as it is: batch statistics, update
    assert close(out, F.batch_norm(conv(x), None, None, bn.weight, bn.bias, training=True))
    assert not torch.equal(bn.running_mean, before)


@torch.no_grad()
def test_resnet_fast_path_equals_eager_and_open_clip():
    ref, ours = tiny_resnet_pair()
    x = torch.randn(2, 3, 64, 64)
    eager = ours(x)
    ours.set_fast_inference(True)
    fast = ours(x)
    assert len(fast) == 6
    for a, b in zip(eager, fast):
        assert close(a, b)
    assert all(t.is_contiguous() for t in fast)  # NCHW-contiguous for mmcv ops (the trunk ran channels-last)
    assert close(fast[4], ref(x))  # pooled embedding against open_clip's independent implementation
    # dense map at another size
    x2 = torch.randn(1, 3, 96, 128)
    ours.set_fast_inference(False)
    dense = ours(x2)[5]
    ours.set_fast_inference(True)
    assert close(ours(x2)[5], dense)


def test_resnet_training_unaffected_and_frozen_norms_fold_with_same_gradients():
    _, ours = tiny_resnet_pair()
    fast = CLIPResNet(TINY_RN, with_attnpool=True, fast_inference=True)
    fast.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, 64, 64)
    norm_calls = []
    fast.layer1[0].bn1.register_forward_hook(lambda *_: norm_calls.append(1))
    for norm_eval in (False, True):  # training norms: untouched; frozen norms (norm_eval): folded
        norm_calls.clear()
        outs, grads = [], []
        for model in (ours, fast):
            model.norm_eval = norm_eval
            model.train()
            model.zero_grad()
            out = model(x)
            out[4].pow(2).sum().backward()
            outs.append(out)
            grads.append(model.layer2[0].conv2.weight.grad.clone())
        for a, b in zip(*outs):
            assert close(a, b)
        assert close(grads[0], grads[1])
        assert not outs[1][0].is_contiguous(memory_format=torch.channels_last)  # channels-last is eval-only
        assert len(norm_calls) == (0 if norm_eval else 1)  # the frozen norm ran inside the folded convolution
    assert torch.equal(ours.layer1[0].bn1.running_mean, fast.layer1[0].bn1.running_mean)


def test_resnet_channels_last_training_same_outputs_and_gradients():
    _, plain = tiny_resnet_pair()
    fast = CLIPResNet(TINY_RN, with_attnpool=True, channels_last=True)
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    outs, grads = [], []
    for model in (plain, fast):
        model.train()
        out = model(x)
        (out[4].pow(2).sum() + out[5].mean()).backward()
        outs.append(out)
        grads.append([p.grad for p in model.parameters()])
    assert all(t.is_contiguous() for t in outs[1])  # handed on NCHW-contiguous, as mmcv's roi_align needs
    # another convolution algorithm rounds differently, and training-mode BatchNorm over a few values per channel
    # amplifies that: compare relative to each tensor's largest entry (k_proj.bias has a zero gradient in exact
    # arithmetic, softmax ignores a shift of the keys, so it is compared on an absolute floor)
    for a, b in zip(*outs):
        assert (a - b).abs().max() <= 1e-5 * b.abs().max()
    for a, b in zip(*grads):
        assert (a - b).abs().max() <= 1e-4 * max(b.abs().max().item(), 1e-2)


@pytest.mark.parametrize('act,window', [('quick_gelu', 0), ('gelu', 0), ('quick_gelu', 3)])
@torch.no_grad()
def test_vit_fast_path_equals_eager(act, window):
    torch.manual_seed(0)
    model = CLIPViT(TINY_VIT, with_embeddings=True, act=act, window_size=window, shifted_pass=bool(window)).eval()
    x = torch.randn(2, 3, 64, 80)
    eager = model(x)
    model.set_fast_inference(True)
    fast = model(x)
    for a, b in zip(eager, fast):
        assert close(a, b)


@torch.no_grad()
def test_vit_fast_path_matches_open_clip():
    torch.manual_seed(0)
    ref = VisionTransformer(image_size=64, patch_size=8, width=64, layers=4, heads=2, mlp_ratio=4.0,
                            output_dim=32, act_layer=QuickGELU).eval()
    ours = CLIPViT(TINY_VIT, with_embeddings=True, fast_inference=True).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 64)
    assert close(ours(x)[4], ref(x))


def test_vit_training_forward_unchanged():
    torch.manual_seed(0)
    model = CLIPViT(TINY_VIT, with_embeddings=True).train()
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(1)
    plain = model(x)[4]
    model.set_fast_inference(True)
    torch.manual_seed(1)
    fast = model(x)[4]
    assert torch.equal(plain, fast)  # the training forward takes the plain code path
    fast.sum().backward()
    assert model.transformer.resblocks[0].mlp.c_fc.weight.grad is not None


@pytest.mark.parametrize('kernel,relu,with_residual', [(1, True, False), (1, True, True), (1, False, False),
                                                       (3, True, False), (3, True, True)])
def test_conv_bn_act_equals_formula_and_runs_pointwise_convs_as_gemm(monkeypatch, kernel, relu, with_residual):
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(6, 10, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(10)
    randomise_norms(bn)
    bn.eval()
    x = torch.randn(2, 6, 7, 5).contiguous(memory_format=torch.channels_last)
    residual = torch.randn(2, 10, 7, 5) if with_residual else None
    gemm_calls = []
    module = importlib.import_module('dense_align.clip.layers.conv_bn')
    monkeypatch.setattr(module, 'fused_linear', lambda *a: gemm_calls.append(a[3]) or fused_linear(*a))
    with torch.no_grad():
        expected = bn(conv(x)) + (0 if residual is None else residual)
        expected = expected.clamp_min(0) if relu else expected
        out = conv_bn_act(x, conv, bn, fold=True, relu=relu, residual=residual)
        assert close(out, expected) and out.is_contiguous(memory_format=torch.channels_last)
        # 1x1: one GEMM on the channels-last view, ReLU fused into it unless a residual comes first
        assert gemm_calls == ([] if kernel == 3 else ['relu' if relu and not with_residual else 'none'])
        assert close(conv_bn_act(x, conv, bn, fold=False, relu=relu, residual=residual), expected)
    with_grad = conv_bn_act(x, conv, bn, fold=True, relu=relu, residual=residual)  # training: the plain path
    assert close(with_grad, expected) and with_grad.requires_grad and len(gemm_calls) <= 1


def test_fused_linear_and_errors():
    torch.manual_seed(0)
    x, w, b = torch.randn(3, 5, 8), torch.randn(16, 8), torch.randn(16)
    with torch.no_grad():
        assert close(fused_linear(x, w, b, 'swish'), F.silu(F.linear(x, w, b)))
        assert close(fused_linear(x, w, None), F.linear(x, w))
    assert torch.equal(fused_linear(x, w, b), F.linear(x, w, b))  # with autograd: the plain kernel
    with pytest.raises(ValueError, match='act must be one of'):
        fused_linear(x, w, b, 'tanh')


def test_switch_on_a_whole_model_and_test_runner():
    model = nn.ModuleDict(dict(backbone=CLIPResNet(TINY_RN), vit=CLIPViT(TINY_VIT), head=nn.Linear(2, 2)))
    assert set_fast_inference(model) == 2
    assert model.backbone.layer1[0].fold_bn and model.vit.transformer.resblocks[3].fast_inference
    assert set_fast_inference(model, False) == 2 and not model.backbone.fast_inference
    compiled = []
    runner = types.SimpleNamespace(model=types.SimpleNamespace(module=model), cfg=dict(compile=True),
                                   _maybe_compile=compiled.append)
    assert apply_test_fast_path(runner) == 2 and model.vit.fast_inference
    assert compiled == ['test_step']  # mmengine's compile config, applied to the test step
    runner.cfg = dict()
    apply_test_fast_path(runner, enabled=False)
    assert compiled == ['test_step']
