"""Config path checks, registry error explanations and the CPU DDP wrapper settings."""
import pytest
from mmengine.config import Config

from align_core.cli import explain_registry_error, run_tool
from align_core.config_check import ConfigPathError, check_data_paths, missing_data_paths
from align_core.launch import cpu_ddp_wrapper_cfg, init_cpu_distributed


def test_missing_paths_are_named_by_config_key(tmp_path):
    (tmp_path / 'imgs').mkdir()
    cfg = dict(
        train_dataloader=dict(dataset=dict(type='RepeatDataset', times=2, dataset=dict(
            data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img='imgs', seg='segs')))),
        val_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[dict(data_root=str(tmp_path / 'gone'))])),
        test_dataloader=dict(dataset=dict(ann_file='s3://bucket/ann.json')))
    problems = missing_data_paths(cfg)
    assert problems == [
        f'train_dataloader.dataset.dataset.ann_file: {tmp_path}/ann.json does not exist',
        f'train_dataloader.dataset.dataset.data_prefix.seg: {tmp_path}/segs does not exist',
        f'val_dataloader.dataset.datasets[0].data_root: folder {tmp_path}/gone does not exist',
    ]
    assert missing_data_paths(cfg, ('test_dataloader', )) == []
    with pytest.raises(ConfigPathError, match='ann.json does not exist; '):
        check_data_paths(cfg)


def test_registry_error_is_explained_with_suggestions():
    import mmseg.models  # noqa: F401  (populates the registry)
    message = ('class `EncoderDecoder` in mmseg/models/segmentors/encoder_decoder.py: ResNetV1cc is not in the '
               'mmseg::model registry. Please check whether the value of `ResNetV1cc` is correct')
    line = explain_registry_error(message)
    assert line.startswith("type 'ResNetV1cc' is not registered in the mmseg::model registry")
    assert 'EncoderDecoder' in line and "did you mean 'ResNetV1c'" in line
    assert explain_registry_error("'some other key'") is None


def test_run_tool_reports_user_errors_in_one_line(capsys):
    def missing():
        raise FileNotFoundError('config file x.py does not exist')

    with pytest.raises(SystemExit) as info:
        run_tool(missing)
    assert info.value.code == 1
    assert capsys.readouterr().err.strip() == 'error: config file x.py does not exist (rerun with --debug for the traceback)'
    with pytest.raises(FileNotFoundError):
        run_tool(missing, debug=True)

    def bug():
        raise KeyError('an internal bug, not a registry look-up')

    with pytest.raises(KeyError):  # programming errors keep their traceback
        run_tool(bug)


def test_cpu_ddp_wrapper_cfg_keeps_custom_wrappers():
    cfg = Config(dict())
    cpu_ddp_wrapper_cfg(cfg)
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', broadcast_buffers=False, device_ids=None)
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=True)))
    cpu_ddp_wrapper_cfg(cfg)
    assert cfg.model_wrapper_cfg == dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=True,
                                         device_ids=None)


def test_launcher_validation(monkeypatch):
    assert init_cpu_distributed('none') is False
    with pytest.raises(ValueError, match='mpi'):
        init_cpu_distributed('mpi')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'):
        init_cpu_distributed('pytorch')
