"""Registration: our registries are children of mmengine's; register_model reaches mmdet's and mmseg's MODELS."""
import pytest
import torch
from mmengine.model import BaseModule
from mmengine.registry import DefaultScope

import dense_align  # noqa: F401
import text_align  # noqa: F401
from dense_align.registration import register_model
from dense_align.registry import MODELS as DENSE_MODELS
from text_align.registry import MODELS as TEXT_MODELS


class _Probe(BaseModule):
    def __init__(self, channels: int = 2) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, channels, 1)

    def forward(self, x):
        return self.conv(x)


def test_scopes_and_parents():
    from mmengine.registry import MODELS as ROOT
    assert DENSE_MODELS.scope == 'dense_align' and TEXT_MODELS.scope == 'text_align'
    assert DENSE_MODELS.parent is ROOT and TEXT_MODELS.parent is ROOT


def test_register_model_into_every_codebase():
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmseg.registry import MODELS as MMSEG_MODELS
    probe = type('RegistrationProbeNet', (_Probe, ), {})
    register_model()(probe)
    for registry in (DENSE_MODELS, MMDET_MODELS, MMSEG_MODELS):
        with DefaultScope.overwrite_default_scope(registry.scope):  # as a config with this default_scope
            module = registry.build(dict(type='RegistrationProbeNet', channels=4))
        assert module(torch.zeros(1, 3, 5, 5)).shape == (1, 4, 5, 5)
    assert 'RegistrationProbeNet' not in TEXT_MODELS.module_dict

    detector_only = type('RegistrationProbeDet', (_Probe, ), {})
    register_model(into=('mmdet', ))(detector_only)
    assert 'RegistrationProbeDet' in MMDET_MODELS.module_dict
    assert 'RegistrationProbeDet' not in MMSEG_MODELS.module_dict


def test_register_model_rejects_unknown_codebase():
    with pytest.raises(ValueError, match='mmpose'):
        register_model(into=('mmpose', ))


def test_import_does_not_download_or_need_a_gpu():
    import subprocess
    import sys
    code = ('import socket\n'
            'def refuse(*a, **k): raise RuntimeError("network access at import")\n'
            'socket.socket.connect = refuse\n'
            'import dense_align, text_align, align_core\n'
            'import torch; assert not torch.cuda.is_initialized()\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env={'CUDA_VISIBLE_DEVICES': '', 'PATH': '/usr/bin:/bin'})
    assert result.returncode == 0, result.stderr
