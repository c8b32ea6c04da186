"""Two-process training with torchrun on the CPU (gloo): both ranks finish with identical weights."""
import os
import socket
from pathlib import Path

import torch

from conftest import REPO, SEG_CONFIG, seg_data_options, run_tool


def test_two_process_cpu_training_keeps_ranks_in_sync(demo_root, tmp_path):
    work = tmp_path / 'ddp'
    helpers = Path(__file__).resolve().parents[1] / 'helpers'
    config = tmp_path / 'ddp_config.py'
    config.write_text(f"_base_ = ['{SEG_CONFIG}']\n"
                      "custom_imports = dict(imports=['rank_weights_hook'], allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='SaveRankWeightsHook')]\n")
    opts = seg_data_options(demo_root) + ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                                          'default_hooks.checkpoint.interval=4', 'train_dataloader.batch_size=4']
    env = {'PYTHONPATH': os.pathsep.join([str(helpers), os.environ.get('PYTHONPATH', '')])}
    with socket.socket() as sock:  # a free port, so parallel or leftover runs cannot collide
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    result = run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={port}',
                       REPO / 'tools/train.py', config, '--launcher', 'pytorch', '--work-dir', work,
                       '--cfg-options'] + opts, env=env)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    rank0 = torch.load(work / 'rank0_of_2.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1_of_2.pth', weights_only=True)
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'Distributed training: True' in log
    from align_core.checkpoint import safe_load
    assert safe_load(work / 'iter_4.pth')['meta']['iter'] == 4
