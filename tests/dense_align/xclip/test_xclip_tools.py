"""X-CLIP under the command-line tools: a few training iterations on generated videos, then a zero-shot test with a
class list the model never saw (multi-view: 2 clips per video)."""
import pickle

import pytest

from conftest import REPO, run_tool
from dense_align.datasets import DemoVideosSpec, generate_demo_videos

CONFIG = REPO / 'configs/xclip/xclip_vit-tiny-4f_1xb8-1000it_demo-videos-32px.py'


def data_options(root) -> list:
    opts = [f'model.class_names={root}/classes.csv']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}', f'{loader}.dataset.class_file={root}/classes.csv',
                 f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return opts


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('videos')
    generate_demo_videos(str(root), DemoVideosSpec(num_train=16, num_val=6, seed=5))
    work = tmp_path_factory.mktemp('xclip_work')
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', work, '--cfg-options'] + data_options(root) + [
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4',
        'default_hooks.logger.interval=1'])
    assert result.returncode == 0, result.stderr[-3000:]
    return root, work, result.stdout + result.stderr


def test_training_logs_loss_and_validation_accuracy(trained):
    _, work, log = trained
    assert 'loss_cls' in log and 'video/top1' in log and 'video/mean_class_accuracy' in log
    assert (work / 'iter_4.pth').is_file()


def test_zero_shot_test_with_unseen_class_names(trained, tmp_path):
    root, work, _ = trained
    unseen = (root / 'classes_unseen.csv').read_text() + '6,ball spinning\n'  # 7 names the model never saw
    (tmp_path / 'unseen.csv').write_text(unseen)
    out = tmp_path / 'predictions.pkl'
    result = run_tool(['tools/test.py', CONFIG, work / 'iter_4.pth', '--work-dir', work / 'zero_shot', '--out', out,
                       '--cfg-options'] + data_options(root) + [
                           f'model.class_names={tmp_path}/unseen.csv',  # the model and the test set both
                           f'test_dataloader.dataset.class_file={tmp_path}/unseen.csv'])
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert 'video/top1' in output and 'video/top5' in output
    with open(out, 'rb') as f:
        predictions = pickle.load(f)  # written by this test
    assert len(predictions) == 6 and all(p['pred_score'].shape == (7,) for p in predictions)
    assert all(p['num_clips'] == 2 for p in predictions)  # the test pipeline's multi-view sampling


def test_two_process_training_keeps_ranks_in_sync(trained, tmp_path):
    import torch

    from conftest import equal_rank_states, train_two_processes
    root, _, _ = trained
    options = data_options(root) + ['train_cfg.max_iters=3', 'train_cfg.val_interval=100',
                                    'default_hooks.checkpoint.interval=3', 'train_dataloader.batch_size=4']
    work = train_two_processes(CONFIG, options, tmp_path)
    rank0 = equal_rank_states(work)
    assert any('message_fc' in k for k in rank0)
