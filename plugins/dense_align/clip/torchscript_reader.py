"""Reads the tensors of a TorchScript archive (OpenAI's ``RN50.pt``, ``ViT-B-16.pt``) without running its code.

``torch.jit.load`` would execute the archive's TorchScript code. Here the archive's ``data.pkl`` is unpickled with an
unpickler that turns every ``__torch__.*`` module into an inert attribute record, rebuilds tensors from the archive's
storage records, and refuses every other global, so no code from the file runs.
"""
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Dict

import torch

_STORAGE_DTYPES = {
    'FloatStorage': torch.float32, 'HalfStorage': torch.float16, 'BFloat16Storage': torch.bfloat16,
    'DoubleStorage': torch.float64, 'LongStorage': torch.int64, 'IntStorage': torch.int32,
    'ShortStorage': torch.int16, 'CharStorage': torch.int8, 'ByteStorage': torch.uint8, 'BoolStorage': torch.bool,
}


class _ScriptModuleRecord:
    """Inert stand-in for a scripted module: keeps the attributes the pickle sets, nothing else."""

    def __setstate__(self, state: Any) -> None:
        self.attributes = state if isinstance(state, dict) else {}


def _build_list(values: Any) -> list:
    return list(values)


class _TorchScriptUnpickler(pickle.Unpickler):
    """Unpickles ``data.pkl`` of a TorchScript archive, allowing only module records, tensors and lists."""

    def __init__(self, file: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith('__torch__'):
            return type(name, (_ScriptModuleRecord, ), {})
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return torch._utils._rebuild_tensor_v2
        if (module, name) == ('collections', 'OrderedDict'):
            return OrderedDict
        if module == 'torch' and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == 'torch.jit._pickle' and name.startswith('build_') and name.endswith('list'):
            return _build_list
        raise pickle.UnpicklingError(f'{module}.{name} is not expected in a TorchScript weights archive')

    def persistent_load(self, pid: Any) -> Any:
        kind, dtype, key, _location, numel = pid
        if kind != 'storage' or not isinstance(dtype, torch.dtype):
            raise pickle.UnpicklingError(f'unexpected persistent record {pid!r}')
        data = bytearray(self.archive.read(f'{self.prefix}/data/{key}'))
        storage = torch.UntypedStorage.from_buffer(data, dtype=torch.uint8) if data else torch.UntypedStorage(0)
        return torch.storage.TypedStorage(wrap_storage=storage, dtype=dtype, _internal=True)


def is_torchscript_archive(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip holding ``<name>/code/`` and ``<name>/data.pkl``).

    Args:
        path: file path.

    Returns:
        True for TorchScript archives, False for anything else (plain ``torch.save`` zips included).
    """
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return any('/code/' in n for n in names) and any(n.endswith('/data.pkl') for n in names)


def _flatten(record: Any, prefix: str, out: Dict[str, torch.Tensor]) -> None:
    for name, value in getattr(record, 'attributes', {}).items():
        key = f'{prefix}{name}'
        if isinstance(value, torch.Tensor):
            out[key] = value
        elif isinstance(value, _ScriptModuleRecord):
            _flatten(value, key + '.', out)


def read_torchscript_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The parameters and buffers of a TorchScript archive, by their dotted module names.

    Args:
        path: the archive, e.g. OpenAI's ``ViT-B-16.pt``.

    Returns:
        name -> tensor (float32 for the fp16 OpenAI archives is left to the caller).
    """
    with zipfile.ZipFile(path) as archive:
        data_pkl = next(n for n in archive.namelist() if n.endswith('/data.pkl') and n.count('/') == 1)
        prefix = data_pkl.split('/')[0]
        with archive.open(data_pkl) as f:
            root = _TorchScriptUnpickler(f, archive, prefix).load()
    state: Dict[str, torch.Tensor] = OrderedDict()
    _flatten(root, '', state)
    return state
