"""The paper configs of DreamLIP and uCLIP carry the released values."""
from mmengine.config import Config

from conftest import REPO
from dense_align.uclip import UCLIPHead


def test_dreamlip_paper_config_has_the_released_loss_settings():
    cfg = Config.fromfile(str(REPO / 'configs/dreamlip/dreamlip_vit-b16_8xb512-32ep_long-captions-224px.py'))
    m = cfg.model
    assert (m.margin, m.gamma, m.mpl_divisor, m.sgl_norm, m.sgl_delta, m.sgl_weight) == (0.25, 32, 10.0, 'minmax',
                                                                                        0.0, 1.0)
    assert m.image_encoder.arch == 'ViT-B/16' and m.itc_divide_by_texts
    assert not m.mpl_skip_same_text and not m.sgl_skip_same_text  # the released losses count identical texts
    sub = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'SampleSubCaptions'][0]
    assert (sub.num_text, sub.merged_num) == (6, 1)


def test_uclip_paper_config_has_the_released_settings():
    cfg = Config.fromfile(str(REPO / 'configs/uclip/uclip_mpnet_clip-vit-b32-datacomp_1xb512-5ep_english-captions.py'))
    m = cfg.model
    assert (m.text_dim, m.clip_dim, m.joint_dim, m.temperature, m.retrieval_temperature, m.intra_weight) == (
        768, 512, 512, 0.01, 0.01, 0.1)
    assert abs(m.noise_std - 0.004**0.5) < 1e-12
    assert cfg.train_dataloader.batch_size == 512 and cfg.train_cfg.max_epochs == 5
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    heads = UCLIPHead(m.text_dim, m.joint_dim), UCLIPHead(m.clip_dim, m.joint_dim)
    assert sum(p.numel() for h in heads for p in h.parameters()) == 3_023_360  # the paper's "3.0M" with mpnet
