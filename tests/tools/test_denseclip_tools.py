"""The DenseCLIP demo config trains under tools/train.py and tests with flip + multi-scale TTA (mmseg SegTTAModel)."""
from conftest import REPO, run_tool, seg_data_options
from test_train_and_test import metrics_of_test_run

CONFIG = REPO / 'configs/denseclip/denseclip_rn-tiny_fpn_1xb8-500it_demo-shapes-64x64.py'


def test_denseclip_train_then_tta_test(demo_root, tmp_path):
    opts = seg_data_options(demo_root)
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path / 'train', '--cfg-options',
                       'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']
                      + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_tool(['tools/test.py', CONFIG, tmp_path / 'train/iter_2.pth', '--tta', '--work-dir',
                       tmp_path / 'tta', '--cfg-options'] + opts)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 0 <= metrics_of_test_run(tmp_path / 'tta')['mIoU'] <= 100
    log = ''.join(p.read_text() for p in (tmp_path / 'tta').glob('*/*.log'))
    assert 'SegTTAModel' in log and 'TestTimeAug' in log
