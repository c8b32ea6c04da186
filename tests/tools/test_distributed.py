"""Two-process training with torchrun on the CPU (gloo): both ranks finish with identical weights."""
import torch

from conftest import SEG_CONFIG, equal_rank_states, seg_data_options, train_two_processes


def test_two_process_cpu_training_keeps_ranks_in_sync(demo_root, tmp_path):
    opts = seg_data_options(demo_root) + ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                                          'default_hooks.checkpoint.interval=4', 'train_dataloader.batch_size=4']
    work = train_two_processes(SEG_CONFIG, opts, tmp_path)
    rank0 = equal_rank_states(work)
    assert len(rank0) > 10
    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'Distributed training: True' in log
    from align_core.checkpoint import safe_load
    assert safe_load(work / 'iter_4.pth')['meta']['iter'] == 4
