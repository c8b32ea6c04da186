"""User mistakes get one clear line that names what was wrong, and exit status 1, not a registry traceback."""
from conftest import SEG_CONFIG, run_tool, seg_data_options


def error_lines(result):
    return [ln for ln in result.stderr.splitlines() if ln.startswith('error:')]


def test_misspelled_model_type(demo_root, tmp_path):
    result = run_tool(['tools/train.py', SEG_CONFIG, '--work-dir', tmp_path, '--cfg-options',
                       'model.backbone.type=ResNetV1cc'] + seg_data_options(demo_root))
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    (line, ) = error_lines(result)
    assert "'ResNetV1cc' is not registered" in line and "did you mean 'ResNetV1c'" in line


def test_missing_data_folder_and_annotation(tmp_path):
    result = run_tool(['tools/train.py', SEG_CONFIG, '--work-dir', tmp_path, '--cfg-options',
                       f'train_dataloader.dataset.data_root={tmp_path}/nowhere'])
    assert result.returncode == 1
    (line, ) = error_lines(result)
    assert f'train_dataloader.dataset.data_root: folder {tmp_path}/nowhere does not exist' in line


def test_missing_checkpoint_and_config(tmp_path):
    result = run_tool(['tools/test.py', SEG_CONFIG, tmp_path / 'missing.pth'])
    assert result.returncode == 1
    assert f'checkpoint {tmp_path}/missing.pth does not exist' in error_lines(result)[0]
    result = run_tool(['tools/train.py', tmp_path / 'no_config.py'])
    assert result.returncode == 1 and 'no_config.py does not exist' in error_lines(result)[0]


def test_unknown_launcher():
    result = run_tool(['tools/train.py', SEG_CONFIG, '--launcher', 'mpirun'])
    assert result.returncode == 2
    assert "argument --launcher: invalid choice: 'mpirun'" in result.stderr
    assert 'Traceback' not in result.stderr
