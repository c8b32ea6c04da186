"""open_clip's optimisation on the built optimizer: no weight decay on any parameter with ndim <= 1 (in_proj_bias,
class_embedding, norms, logit_scale), AdamW (0.9, 0.98) / 1e-6 / wd 0.2 for ViT, warm-up then cosine to 0."""
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, DefaultScope

from conftest import REPO
from dense_align.registry import MODELS

PAPER = REPO / 'configs/imagetext/clip_vit-b32_8xb512-acc8-390k_laion400m-224px.py'
TINY_VIT = dict(patch_size=16, width=32, layers=2, heads=2, output_dim=32, image_size=32)


def _paper_model_and_optimizer(**paramwise):
    cfg = Config.fromfile(str(PAPER))
    cfg.model.image_encoder.arch = TINY_VIT
    cfg.model.text_encoder.arch = 'tiny'
    cfg.model.text_encoder.context_length = 16
    cfg.model.class_names = None
    if paramwise:
        cfg.optim_wrapper.paramwise_cfg = paramwise
    cfg.optim_wrapper.type = 'OptimWrapper'  # AmpOptimWrapper needs a GPU; the groups are the same
    with DefaultScope.overwrite_default_scope('dense_align'):
        model = MODELS.build(cfg.model)
        return cfg, model, build_optim_wrapper(model, cfg.optim_wrapper).optimizer


def test_no_decay_on_vectors_and_the_paper_optimizer():
    cfg, model, optimizer = _paper_model_and_optimizer()
    decay = {id(p): g['weight_decay'] for g in optimizer.param_groups for p in g['params']}
    names = dict(model.named_parameters())
    assert len(decay) == len(names)
    for name, param in names.items():
        assert decay[id(param)] == (0.0 if param.ndim <= 1 else 0.2), name
    for name in ('image_encoder.class_embedding', 'temperature.logit_scale', 'image_encoder.ln_post.weight'):
        assert decay[id(names[name])] == 0.0, name
    in_proj_biases = [n for n in names if n.endswith('attn.in_proj_bias')]
    assert in_proj_biases and all(decay[id(names[n])] == 0.0 for n in in_proj_biases)
    assert decay[id(names['image_encoder.proj'])] == 0.2
    assert decay[id(names['image_encoder.positional_embedding'])] == 0.2  # 2-D: decays, as in open_clip 3.3.0
    group = optimizer.param_groups[0]
    assert type(optimizer).__name__ == 'AdamW' and group['betas'] == (0.9, 0.98) and group['eps'] == 1e-6
    assert group['lr'] == 5e-4
    _, model, optimizer = _paper_model_and_optimizer(no_decay_names=['*positional_embedding'])
    decay = {id(p): g['weight_decay'] for g in optimizer.param_groups for p in g['params']}
    assert decay[id(dict(model.named_parameters())['image_encoder.positional_embedding'])] == 0.0
    with pytest.raises(TypeError, match='no_decay_names must be a list of glob strings'):
        _paper_model_and_optimizer(no_decay_names='*positional_embedding')


def test_warmup_then_cosine_as_open_clip(tmp_path):
    """The paper config's schedule, shrunk to 12 steps (3 warm-up) of 3 micro-batches, gives at every optimizer step
    the learning rate of open_clip's cosine_lr."""
    from open_clip_train.scheduler import cosine_lr
    full = Config.fromfile(str(PAPER))
    assert (full.warmup_steps, full.steps, full.accum_steps) == (10000, 390625, 8)
    assert full.train_cfg.max_iters == full.steps * full.accum_steps
    text = PAPER.read_text().replace("'../_base_/", f"'{REPO}/configs/_base_/")
    for name, value in (('accum_steps', 3), ('steps', 12), ('warmup_steps', 3)):
        text = re.sub(rf'^{name} = \d+$', f'{name} = {value}', text, flags=re.M)
    (tmp_path / 'small.py').write_text(text)
    cfg = Config.fromfile(str(tmp_path / 'small.py'))
    param = torch.nn.Parameter(torch.zeros(1))
    ours = torch.optim.AdamW([param], lr=5e-4)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=ours)) for s in cfg.param_scheduler]
    theirs = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=5e-4)
    adjust = cosine_lr(theirs, 5e-4, 3, 12)
    for it in range(cfg.train_cfg.max_iters):
        if it % 3 == 2:  # the micro-batch at which the optimizer steps
            assert ours.param_groups[0]['lr'] == pytest.approx(adjust(it // 3), abs=1e-12), it
        for scheduler in schedulers:  # mmengine's ParamSchedulerHook after every iteration
            scheduler.step()
