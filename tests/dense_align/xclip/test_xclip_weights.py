"""X-CLIP weights from files: the converter on a saved transformers model and on an original-format .pth, CLIP
weights into the cross-frame ViT, and the paper configs' sizes."""
import argparse

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from dense_align.clip import load_clip_weights
from dense_align.registry import MODELS
from dense_align.xclip import ours_to_original
from xclip_tiny import CLASSES, tiny_hf_xclip, tiny_model

CONVERT = 'tools/model_converters/xclip_to_mmengine.py'


def test_hf_folder_converts_and_reproduces_the_logits(tmp_path):
    hf = tiny_hf_xclip()
    hf.save_pretrained(tmp_path / 'hf')
    result = run_tool([CONVERT, tmp_path / 'hf', tmp_path / 'ours.pth'])
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'num_frames=3' in result.stdout
    model = tiny_model().eval()
    model.load_state_dict(torch.load(tmp_path / 'ours.pth', weights_only=True)['state_dict'])
    clips = torch.randn(1, 3, 3, 32, 32)
    with torch.no_grad():
        expected = hf(input_ids=model.tokenizer(CLASSES), pixel_values=clips).logits_per_video
        torch.testing.assert_close(model(clips, mode='tensor')[:, 0], expected, atol=1e-5, rtol=1e-5)


def test_original_release_needs_trust_for_its_pickled_config(tmp_path):
    source = tiny_model(prompt_alpha=0.3)
    original = tmp_path / 'k400_tiny.pth'
    torch.save({'model': ours_to_original(source.state_dict()), 'epoch': 29,
                'config': argparse.Namespace(T=3)}, original)  # stands in for the yacs config object
    refused = run_tool([CONVERT, original, tmp_path / 'out.pth'])
    assert refused.returncode != 0 and '--trust-checkpoint' in refused.stderr
    result = run_tool([CONVERT, original, tmp_path / 'out.pth', '--trust-checkpoint'])
    assert result.returncode == 0, result.stderr[-2000:]
    converted = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    target = tiny_model()
    target.load_state_dict(converted, strict=True)
    torch.testing.assert_close(target.prompts_generator.alpha, source.prompts_generator.alpha)


def test_clip_weights_load_with_only_the_message_modules_missing():
    model = tiny_model()
    clip_visual = {k: v for k, v in model.visual.state_dict().items() if 'message_' not in k}
    report = load_clip_weights(tiny_model().visual, clip_visual)
    assert report.missing and all('.message_' in k for k in report.missing)
    assert not report.unexpected


def test_paper_configs_add_the_reported_parameter_overhead():
    cfg = Config.fromfile(str(REPO / 'configs/xclip/xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py'))
    for tower in ('visual', 'text_encoder'):
        cfg.model[tower].pop('init_cfg')
    cfg.model.class_names = ['abseiling', 'air drumming']
    cfg.model.data_preprocessor.blending = None
    init_default_scope('dense_align')
    model = MODELS.build(cfg.model)

    def millions(prefix_or_word: str) -> float:
        return sum(p.numel() for n, p in model.named_parameters() if prefix_or_word in n) / 1e6

    assert round(millions('.message_'), 2) == 35.45
    assert round(millions('mit.'), 2) == 3.16
    assert round(millions('prompts_generator.'), 2) == 6.30
    assert round(millions('prompts_visual_proj'), 2) == 0.39
    assert cfg.optim_wrapper.optimizer.lr == 8e-6 and cfg.optim_wrapper.paramwise_cfg.new_lr_mult == 10.0
    for leaf, frames in (('xclip_vit-b16-16f_8xb8-acc4-30e_k400-224px.py', 16),
                         ('few-shot/xclip_vit-b16-32f_8xb4-acc2-50e_hmdb51-2shot.py', 32),
                         ('zero-shot/xclip_vit-b16-32f_k400-pretrained_zero-shot-ucf101.py', 32)):
        leaf_cfg = Config.fromfile(str(REPO / 'configs/xclip' / leaf))
        assert leaf_cfg.model.num_frames == frames
        assert all(p.num_frames == frames for p in (leaf_cfg.train_dataloader.dataset.pipeline[0],
                                                   leaf_cfg.test_dataloader.dataset.pipeline[0]))
