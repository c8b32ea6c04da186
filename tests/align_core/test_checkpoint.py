"""Checkpoints written by mmengine load with weights_only=True plus the allow-list; foreign pickles are refused."""
import os
import pickle
import sys
from pathlib import Path

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner, load_checkpoint

import dense_align  # noqa: F401  (installs the safe loader into mmengine)
from align_core.checkpoint import TRUST_ENV, UnsafeCheckpointError, safe_load

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'helpers'))
from toy_runner import ToyRegression, toy_runner_cfg  # noqa: E402


class Unknown:
    """A class that is not on the allow-list."""

    def __init__(self, value):
        self.value = value


class RunsCommand:
    """Unpickling this would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class ReachesIntoHistoryBuffer:
    """Pickles as getattr(HistoryBuffer, '__init__'): a getattr the restricted stand-in must refuse."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


@pytest.fixture(scope='module')
def mmengine_checkpoint(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('toy')
    Runner(**toy_runner_cfg(str(work_dir), max_iters=4)).train()
    return work_dir / 'iter_4.pth'


def test_mmengine_checkpoint_loads_with_history_buffers(mmengine_checkpoint):
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(mmengine_checkpoint))
    assert 'builtins.getattr' in unsafe  # why torch's default loader refuses it
    ckpt = safe_load(mmengine_checkpoint)
    assert ckpt['meta']['iter'] == 4
    assert set(ckpt['state_dict']) >= {'linear.weight', 'norm.running_mean'}
    assert sorted(s['momentum_buffer'].shape for s in ckpt['optimizer']['state'].values()) == [(1, ), (1, 4), (4, ), (4, )]
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.statistics('mean') == pytest.approx(buffer.data[0].mean())
    assert list(ckpt['param_schedulers'][0]['milestones'].elements()) == [2, 3]


def test_mmengine_api_uses_the_safe_loader(mmengine_checkpoint, tmp_path):
    model = ToyRegression()
    load_checkpoint(model, str(mmengine_checkpoint))
    assert torch.equal(model.linear.weight, safe_load(mmengine_checkpoint)['state_dict']['linear.weight'])
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {}, 'extra': Unknown(1)}, bad)
    with pytest.raises(UnsafeCheckpointError, match='Unknown'):
        load_checkpoint(model, str(bad))


@pytest.mark.parametrize('payload, name', [
    (lambda tmp: RunsCommand(tmp / 'pwned'), 'system'),
    (lambda tmp: ReachesIntoHistoryBuffer(), 'getattr'),
    (lambda tmp: Unknown(3), 'Unknown'),
])
def test_foreign_pickles_are_refused(tmp_path, payload, name, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    path = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {'w': torch.zeros(2)}, 'x': payload(tmp_path)}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_load(path)
    message = str(info.value)
    assert str(path) in message and name in message and '--trust-checkpoint' in message
    assert not (tmp_path / 'pwned').exists()


def test_trust_opt_in(tmp_path, monkeypatch):
    path = tmp_path / 'custom.pth'
    torch.save({'x': Unknown(5)}, path)
    assert safe_load(path, trust=True)['x'].value == 5
    monkeypatch.setenv(TRUST_ENV, '1')
    assert safe_load(path)['x'].value == 5


def test_plain_state_dict_and_missing_file(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'w': torch.arange(3)}, path)
    assert torch.equal(safe_load(path)['w'], torch.arange(3))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_load(tmp_path / 'nope.pth')


def test_python2_style_pickle_is_refused_not_crashing(tmp_path):
    path = tmp_path / 'legacy.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'x': Unknown(1)}, f, protocol=2)
    with pytest.raises(UnsafeCheckpointError, match='legacy.pkl'):
        safe_load(path)
