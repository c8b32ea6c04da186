"""The CLIPPretrainer in its three modes (tokens from the pipeline, every caption at prediction, template-ensemble
class embeddings cached), feature-cached accumulation in train_step, and a short training run under tools/train.py
on the demo captions whose reported recalls must come from all 5 captions of each image."""
import json

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from conftest import REPO, run_tool
from dense_align.registry import MODELS

CONFIG = REPO / 'configs/imagetext/clip_rn-tiny_1xb128-600it_demo-shapes-64x64.py'
NAMES = ['red circle', 'blue square', 'yellow star', 'dotted circle']


def build_pretrainer(**overrides):
    from mmengine.config import Config
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('dense_align'):
        return MODELS.build(cfg)


def _samples(model, with_tokens: bool):
    samples = []
    for i, name in enumerate(NAMES):
        caption = f'a photo of a {name}'
        fields = dict(text_tokens=model.tokenizer(caption)[0]) if with_tokens else {}
        samples.append(BaseDataElement(metainfo=dict(caption=caption, gt_label=i, img_id=i), **fields))
    return samples


def test_pretrainer_modes_tokens_from_the_pipeline_and_cached_class_embeddings():
    torch.manual_seed(0)
    model = build_pretrainer()
    images = torch.randn(4, 3, 64, 64)
    want = model(images, _samples(model, with_tokens=False), mode='loss')['loss_itc']
    model.tokenizer = None  # the forward must not tokenise when the pipeline did
    losses = model(images, _samples(build_pretrainer(), with_tokens=True), mode='loss')
    assert set(losses) == {'loss_itc', 'logit_scale'}
    assert losses['loss_itc'].item() == pytest.approx(want.item(), rel=1e-6)
    assert model(images, mode='tensor').shape == (4, 64)
    model = build_pretrainer()
    samples = [BaseDataElement(metainfo=dict(captions=[f'a {n}', f'one {n}', f'the {n}'], gt_label=i, img_id=i))
               for i, n in enumerate(NAMES)]
    model.eval()
    with torch.no_grad():
        preds = model(images, samples, mode='predict')
        model(images, samples, mode='predict')
        ensemble = [torch.nn.functional.normalize(model.encode_text([t.format(c) for t in model.templates]), dim=-1)
                    .mean(0) for c in model.class_names]
    assert model._class_cache.computations == 1
    assert preds[0]['text_embed'].shape == (3, 64) and preds[2]['gt_label'] == 2
    assert preds[0]['zero_shot_scores'].shape == (6, )
    want_scores = preds[1]['image_embed'] @ torch.nn.functional.normalize(ensemble[1], dim=-1)
    assert preds[1]['zero_shot_scores'][1].item() == pytest.approx(want_scores.item(), abs=1e-5)
    with pytest.raises(ValueError, match='joint space'):
        build_pretrainer(text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length=32))
    with pytest.raises(ValueError, match='TokenizeCaption\\(context_length=32\\)'):
        model.encode_text(torch.zeros(1, 77, dtype=torch.long))


def test_train_step_accumulation_equals_one_big_batch_step():
    torch.manual_seed(0)
    images = torch.rand(8, 3, 64, 64) * 255
    big = build_pretrainer()
    small = build_pretrainer(accum_steps=2)
    small.load_state_dict(big.state_dict())
    samples = _samples(big, with_tokens=True) * 2
    for model in (big, small):
        model.image_encoder.eval()  # BatchNorm in eval mode: the same features in the caching and the re-run pass
    opt_big = OptimWrapper(torch.optim.SGD(big.parameters(), lr=0.1))
    opt_small = OptimWrapper(torch.optim.SGD(small.parameters(), lr=0.1))
    big.train_step(dict(inputs=list(images), data_samples=samples), opt_big)
    assert small.train_step(dict(inputs=list(images[:4]), data_samples=samples[:4]), opt_small) == {}
    log = small.train_step(dict(inputs=list(images[4:]), data_samples=samples[4:]), opt_small)
    assert set(log) == {'loss', 'loss_itc', 'logit_scale'}
    for (name, p), q in zip(big.named_parameters(), small.parameters()):
        assert torch.allclose(p, q, atol=1e-5), name
    with pytest.raises(ValueError, match='accumulative_counts=2 draws negatives'):
        big.train_step(dict(inputs=list(images), data_samples=samples),
                       OptimWrapper(torch.optim.SGD(big.parameters(), lr=0.1), accumulative_counts=2))
    with pytest.raises(RuntimeError, match='OwnTrainStepDDP'):
        small(images, samples, mode='loss')


def test_short_pretraining_run(demo_root, tmp_path):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={demo_root}/', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    opts += ['train_dataloader.batch_size=8', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
             'default_hooks.checkpoint.interval=4', 'model.accum_steps=2']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (next(tmp_path.glob('*/vis_data/scalars.json'))).read_text().splitlines()
    logged = [json.loads(line) for line in lines if 'imagetext/t2i_R@1' in line][-1]
    # recompute the validation from the saved weights: every caption of each of the 8 images, clip-benchmark's recall
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from clip_benchmark.metrics.zeroshot_retrieval import recall_at_k
    from dense_align.registry import DATASETS
    cfg = Config.fromfile(str(CONFIG))
    cfg.val_dataloader.dataset.data_root = f'{demo_root}/'
    with DefaultScope.overwrite_default_scope('dense_align'):
        data = pseudo_collate(list(DATASETS.build(cfg.val_dataloader.dataset)))
    model = build_pretrainer()
    state = torch.load(next(tmp_path.glob('iter_4.pth')), map_location='cpu', weights_only=False)['state_dict']
    model.load_state_dict(state)
    assert state['temperature.logit_scale'].item() <= torch.log(torch.tensor(100.0)).item() + 1e-6
    model.eval()
    with torch.no_grad():
        preds = model.test_step(data)
    images = torch.stack([p['image_embed'] for p in preds])
    texts = torch.cat([p['text_embed'] for p in preds])
    assert texts.shape[0] == 40  # 8 images x 5 captions
    positive = torch.zeros(40, 8, dtype=torch.bool)
    positive[torch.arange(40), torch.arange(8).repeat_interleave(5)] = True
    scores = texts @ images.t()
    for k in (1, 5):
        t2i = 100 * (recall_at_k(scores, positive, k) > 0).float().mean().item()
        i2t = 100 * (recall_at_k(scores.t(), positive.t(), k) > 0).float().mean().item()
        assert logged[f'imagetext/t2i_R@{k}'] == pytest.approx(t2i, abs=1e-3)
        assert logged[f'imagetext/i2t_R@{k}'] == pytest.approx(i2t, abs=1e-3)
    assert 0 <= logged['zero_shot/top1'] <= logged['zero_shot/top5'] <= 100
