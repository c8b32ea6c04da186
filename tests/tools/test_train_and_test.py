"""tools/train.py and tools/test.py train and evaluate the demo configs on generated data, like a user would."""
import json
from pathlib import Path

import pytest
import torch

from conftest import DET_CONFIG, SEG_CONFIG, det_data_options, run_tool, seg_data_options


def last_validation(work_dir: Path, key: str) -> dict:
    """The last record holding ``key`` in the newest ``scalars.json`` of a training run (its final validation)."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    records = [json.loads(line) for line in files[-1].read_text().splitlines()]
    records = [r for r in records if key in r]
    assert records, f'no {key} in {files[-1]}'
    return records[-1]


def metrics_of_test_run(work_dir: Path) -> dict:
    """The metrics a ``tools/test.py`` run wrote to ``<work_dir>/<timestamp>/<timestamp>.json``."""
    files = sorted(p for p in work_dir.glob('*/*.json') if p.stem == p.parent.name)
    assert files, f'no test metrics under {work_dir}'
    return json.loads(files[-1].read_text())


def test_segmentation_train_then_test(demo_root, tmp_path):
    work = tmp_path / 'seg'
    opts = seg_data_options(demo_root) + ['train_cfg.max_iters=6', 'train_cfg.val_interval=6',
                                          'default_hooks.checkpoint.interval=6']
    result = run_tool(['tools/train.py', SEG_CONFIG, '--work-dir', work, '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = last_validation(work, 'mIoU')
    assert 0 <= metrics['mIoU'] <= 100 and 'aAcc' in metrics
    ckpt = work / 'iter_6.pth'
    assert ckpt.is_file()

    out, show = tmp_path / 'preds.pkl', tmp_path / 'show'
    result = run_tool(['tools/test.py', SEG_CONFIG, ckpt, '--work-dir', tmp_path / 'seg_test', '--out', out,
                       '--show-dir', show, '--cfg-options'] + seg_data_options(demo_root))
    assert result.returncode == 0, result.stderr[-3000:]
    assert metrics_of_test_run(tmp_path / 'seg_test')['mIoU'] == pytest.approx(metrics['mIoU'], abs=0.01)
    assert out.stat().st_size > 0
    assert len(list(show.rglob('*.png'))) == 8


def test_detection_train_then_test(demo_root, tmp_path):
    work = tmp_path / 'det'
    opts = det_data_options(demo_root) + ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                                          'default_hooks.checkpoint.interval=1']
    result = run_tool(['tools/train.py', DET_CONFIG, '--work-dir', work, '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = last_validation(work, 'coco/bbox_mAP')
    result = run_tool(['tools/test.py', DET_CONFIG, work / 'epoch_1.pth', '--work-dir', tmp_path / 'det_test',
                       '--show-dir', tmp_path / 'show', '--cfg-options'] + det_data_options(demo_root))
    assert result.returncode == 0, result.stderr[-3000:]
    assert metrics_of_test_run(tmp_path / 'det_test')['coco/bbox_mAP'] == pytest.approx(metrics['coco/bbox_mAP'])
    assert len(list((tmp_path / 'show').rglob('*.png'))) == 8


def test_resume_reaches_the_uninterrupted_weights(demo_root, tmp_path):
    """Train 3 iterations and stop; resume to 6; compare with 6 uninterrupted iterations from the same seed."""
    opts = seg_data_options(demo_root) + ['model.decode_head.dropout_ratio=0', 'default_hooks.logger.interval=1',
                                          'default_hooks.checkpoint.interval=3', 'val_cfg=None', 'val_dataloader=None',
                                          'val_evaluator=None']
    interrupted, straight = tmp_path / 'interrupted', tmp_path / 'straight'
    for work, iters, extra in ((interrupted, 3, []), (interrupted, 6, ['--resume']), (straight, 6, [])):
        result = run_tool(['tools/train.py', SEG_CONFIG, '--work-dir', work] + extra +
                          ['--cfg-options', f'train_cfg.max_iters={iters}'] + opts)
        assert result.returncode == 0, result.stderr[-3000:]
    logs = ''.join(p.read_text() for p in sorted(interrupted.glob('*/*.log')))
    assert 'resumed epoch: 0, iter: 3' in logs, logs[-3000:]
    assert 'Iter(train) [4/6]' in logs and 'Iter(train) [1/6]' not in logs

    from align_core.checkpoint import safe_load
    mid = safe_load(interrupted / 'iter_3.pth')
    resumed, reference = safe_load(interrupted / 'iter_6.pth'), safe_load(straight / 'iter_6.pth')
    assert mid['meta']['iter'] == 3 and resumed['meta']['iter'] == 6
    for key, value in reference['state_dict'].items():
        assert torch.allclose(resumed['state_dict'][key].float(), value.float(), atol=1e-6), key
    for idx, state in reference['optimizer']['state'].items():
        for name in ('exp_avg', 'exp_avg_sq'):
            assert torch.allclose(resumed['optimizer']['state'][idx][name], state[name], atol=1e-7), (idx, name)
    assert resumed['param_schedulers'] == reference['param_schedulers']
    # and the weights did move between iteration 3 and 6, so the comparison means something
    assert not torch.equal(mid['state_dict']['decode_head.conv_seg.weight'],
                           resumed['state_dict']['decode_head.conv_seg.weight'])
