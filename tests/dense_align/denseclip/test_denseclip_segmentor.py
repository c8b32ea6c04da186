"""DenseCLIP segmentor: modes, score map, context-aware prompting variants, caching, inference cases, bad input."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData

import dense_align  # noqa: F401
from dense_align.denseclip import pixel_text_scores

CLASSES = ['background', 'red circle', 'chest of drawers']


def tiny_cfg(**overrides) -> dict:
    cfg = dict(
        type='DenseCLIPSegmentor',
        class_names=CLASSES,
        data_preprocessor=dict(type='SegDataPreProcessor', size=(64, 64)),
        backbone=dict(type='CLIPResNet', arch='tiny', with_attnpool=True),
        text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length=20),
        context_decoder=dict(width=16, heads=2, layers=1),
        num_context=4,
        neck=dict(type='FPN', in_channels=[64, 128, 256, 512 + 3], out_channels=16, num_outs=4),
        decode_head=dict(type='FPNHead', in_channels=[16] * 4, in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
                         channels=16, num_classes=3, norm_cfg=dict(type='BN', requires_grad=True)),
        test_cfg=ConfigDict(mode='whole'))
    cfg.update(overrides)
    return cfg


def build(cfg: dict):
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def samples(n: int = 2, size: int = 64):
    from mmseg.structures import SegDataSample
    out = []
    for _ in range(n):
        s = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, size, size)))
        out.append(s)
    return out


def test_loss_predict_tensor_and_gradients():
    torch.manual_seed(0)
    model = build(tiny_cfg())
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    assert {'decode.loss_ce', 'decode.acc_seg', 'score.loss_ce'} <= set(losses)
    (losses['decode.loss_ce'] + losses['score.loss_ce']).backward()
    assert model.prompting.prompt_learner.context.grad.abs().sum() > 0
    assert model.prompting.gamma.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in model.text_encoder.parameters())  # frozen by default
    model.eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(2, 3, 64, 64), samples())
        model.predict(torch.randn(2, 3, 64, 64), samples())
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64) and preds[0].seg_logits.data.shape == (3, 64, 64)
    assert model.prompting._cache.computations == 2  # once in training, once for both inference calls


def test_score_map_is_the_cosine_of_dense_embeddings_and_prompts():
    torch.manual_seed(0)
    model = build(tiny_cfg(prompting='none')).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        _, scores = model.language_guided_features(x)
        *_, dense = model.backbone(x)
        text = model.prompting.prompt_learner(model.text_encoder)
    want = torch.einsum('dhw,kd->khw', F.normalize(dense[0], dim=0), F.normalize(text, dim=1))
    assert torch.allclose(scores[0], want, atol=1e-5)
    assert scores.abs().max() <= 1 + 1e-6
    assert torch.allclose(pixel_text_scores(dense, text[None]), scores, atol=1e-6)


def test_post_prompting_starts_near_plain_prompts_and_pre_prompting_depends_on_the_image():
    torch.manual_seed(0)
    post = build(tiny_cfg()).eval()
    with torch.no_grad():
        *_, g, d = post.backbone(torch.randn(2, 3, 64, 64))
        text = post.prompting(post.text_encoder, g, d)
        plain = post.prompting.class_embeddings(post.text_encoder)
        assert torch.allclose(text[0], plain, atol=1e-2) and not torch.equal(text[0], text[1])
        post.prompting.gamma.zero_()
        assert torch.allclose(post.prompting(post.text_encoder, g, d)[1], plain, atol=1e-6)
    pre = build(tiny_cfg(prompting='pre')).eval()
    with torch.no_grad():
        *_, g, d = pre.backbone(torch.randn(2, 3, 64, 64))
        text = pre.prompting(pre.text_encoder, g, d)
    assert text.shape == (2, 3, 32) and not torch.allclose(text[0], text[1])
    losses = pre.train().loss(torch.randn(2, 3, 64, 64), samples())
    losses['score.loss_ce'].backward()
    assert pre.prompting.context_decoder.query_proj[1].weight.grad is not None


def test_slide_inference_on_an_image_smaller_than_the_window():
    model = build(tiny_cfg(test_cfg=ConfigDict(mode='slide', crop_size=(96, 96), stride=(64, 64)))).eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(1, 3, 64, 64), samples(1))
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)


def test_vit_backbone_with_score_at_stride_16():
    cfg = tiny_cfg(backbone=dict(type='CLIPViT', arch='tiny', pyramid=True, with_embeddings=True),
                   score_concat_index=2,
                   neck=dict(type='FPN', in_channels=[64, 64, 64 + 3, 64], out_channels=16, num_outs=4))
    model = build(cfg)
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    assert losses['score.loss_ce'].item() > 0


def test_bad_configurations_are_explained():
    with pytest.raises(ValueError, match='needs class_names'):
        build(tiny_cfg(class_names=None))
    with pytest.raises(ValueError, match='3 class_names but decode_head.num_classes=4'):
        cfg = tiny_cfg()
        cfg['decode_head']['num_classes'] = 4
        build(cfg)
    with pytest.raises(ValueError, match=r'neck.in_channels\[3\] is 512 .* gives 515'):
        build(tiny_cfg(neck=dict(type='FPN', in_channels=[64, 128, 256, 512], out_channels=16, num_outs=4)))
    with pytest.raises(ValueError, match='raise text_encoder.context_length'):
        build(tiny_cfg(text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length=8)))
    with pytest.raises(ValueError, match='global_embed and dense_embed'):
        build(tiny_cfg(backbone=dict(type='CLIPResNet', arch='tiny')))


def test_any_backbone_denseclip_with_an_mmseg_resnet():
    backbone = dict(type='BackboneWithAttentionPool', backbone=dict(type='ResNetV1c', depth=18, base_channels=8,
                                                                      stem_channels=8),
                    in_channels=(8, 16, 32, 64), embed_dim=32, num_heads=4, grid=4)
    model = build(tiny_cfg(backbone=backbone,
                           neck=dict(type='FPN', in_channels=[8, 16, 32, 64 + 3], out_channels=16, num_outs=4)))
    assert [s.name for s in model.backbone.output_shape()][-2:] == ['global_embed', 'dense_embed']
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    losses['score.loss_ce'].backward()
    assert model.backbone.attnpool.q_proj.weight.grad is not None


def test_trainable_text_encoder():
    model = build(tiny_cfg(freeze_text_encoder=False))
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    losses['score.loss_ce'].backward()
    assert model.text_encoder.transformer.resblocks[0].attn.in_proj_weight.grad is not None
