"""The DreamLIP model with ViT patch tokens and ResNet dense tokens, its losses against their functions, and short
training runs under tools/train.py (one process and two)."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.structures import BaseDataElement

from align_core.contrastive import symmetric_infonce
from dense_align.dreamlip import DreamLIPPretrainer, caption_ids, grouping_loss, multi_positive_loss
from dense_align.imagetext import CLIPPretrainer

from conftest import REPO, train_two_processes

CONFIG = REPO / 'configs/dreamlip/dreamlip_vit-tiny_1xb64-300it_demo-shapes-64x64.py'
TEXT = dict(type='CLIPTextTransformer', arch=dict(width=32, layers=1, heads=2, output_dim=32), context_length=16)
VIT = dict(type='CLIPViT', arch=dict(patch_size=8, width=32, layers=1, heads=2, output_dim=32, image_size=32),
           out_indices=(-1, ), with_embeddings=True)
RESNET = dict(type='CLIPResNet', arch=dict(layers=(1, 1, 1, 1), width=8, output_dim=32, image_size=64),
              out_indices=(), with_attnpool=True)


def _samples(n, k=2):  # the last sub-caption is the same text for every image (as the demo's distractor sentences)
    return [BaseDataElement(metainfo=dict(caption=f'a photo of {i}',
                                          sub_captions=[f'part {i} {j}' for j in range(k - 1)] + ['nothing else']))
            for i in range(n)]


@pytest.mark.parametrize('encoder,size,patches', [(VIT, 32, 16), (RESNET, 64, 4)])
def test_losses_are_the_released_terms_on_patch_tokens(encoder, size, patches):
    torch.manual_seed(0)
    model = DreamLIPPretrainer(image_encoder=encoder, text_encoder=TEXT, sgl_delta=0.1, mpl_skip_same_text=True)
    images, samples = torch.randn(3, 3, size, size), _samples(3)
    losses = model(images, samples, mode='loss')
    outs = model.image_encoder(images)
    tokens = model.tokenizer([t for s in samples for t in [s.caption] + s.sub_captions])
    texts = model.text_encoder(tokens).view(3, 3, -1)
    dense = outs[-1].flatten(2).transpose(1, 2)
    assert dense.shape[1] == patches
    scale = model.temperature()
    assert losses['loss_itc'].item() == pytest.approx(symmetric_infonce(outs[-2], texts[:, 0], scale).item() / 3,
                                                      rel=1e-5)
    ids = caption_ids(tokens.view(3, 3, -1))  # the shared 'nothing else' is no negative of its own image
    assert losses['loss_mpl'].item() == pytest.approx(multi_positive_loss(outs[-2], texts, text_ids=ids).item(),
                                                      rel=1e-5)
    model.mpl_skip_same_text = False  # the released form counts it as one
    released = multi_positive_loss(outs[-2], texts).item()
    assert model(images, samples, mode='loss')['loss_mpl'].item() == pytest.approx(released, rel=1e-5)
    assert released != pytest.approx(losses['loss_mpl'].item(), rel=1e-3)
    model.mpl_skip_same_text = True
    local = model.temperature_local()
    assert losses['loss_sgl'].item() == pytest.approx(grouping_loss(texts, dense, local, delta=0.1).item(), rel=1e-5)
    model.sgl_skip_same_text = True
    masked = grouping_loss(texts, dense, local, delta=0.1, text_ids=ids).item()
    assert model(images, samples, mode='loss')['loss_sgl'].item() == pytest.approx(masked, rel=1e-5)
    assert masked < losses['loss_sgl'].item()  # the shared caption's twins were negatives in the released form
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.temperature_local.logit_scale.grad is not None
    # short captions only: DreamLIP's itc is the plain CLIP loss divided by the number of captions (1 + 2)
    clip = CLIPPretrainer(image_encoder=encoder, text_encoder=TEXT)
    clip.load_state_dict(model.state_dict(), strict=False)
    assert clip(images, samples, mode='loss')['loss_itc'].item() == pytest.approx(3 * losses['loss_itc'].item(),
                                                                                  rel=1e-5)
    with pytest.raises(KeyError, match='sub_captions'):
        model(images, [BaseDataElement(metainfo=dict(caption='x'))] * 3, mode='loss')


def _options(root: Path, iters: int):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}/', f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return opts + ['train_dataloader.batch_size=4', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                   f'default_hooks.checkpoint.interval={iters}']


def test_training_under_tools_train_with_two_processes(demo_root, tmp_path):
    # one torchrun of tools/train.py with 2 gloo processes covers the single-process path too (the suite's time)
    work = train_two_processes(CONFIG, _options(demo_root, 2) + ['default_hooks.logger.interval=1'], tmp_path)
    logged = [json.loads(x) for x in next(work.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert {'loss_itc', 'loss_mpl', 'loss_sgl', 'logit_scale_local'} <= set(logged[0])
    assert 'imagetext/t2i_R@1' in logged[-1]
    ranks = [torch.load(work / f'rank{r}_of_2.pth', map_location='cpu') for r in range(2)]
    for key, value in ranks[0].items():  # DDP kept the replicas identical, the local scale included
        assert torch.equal(value, ranks[1][key]), key
    assert 'temperature_local.logit_scale' in ranks[0]
