"""Safe checkpoint loading for torch >= 2.6 and mmengine 0.10.x.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch 2.6 that means ``weights_only=True`` and its
own checkpoints (which hold numpy scalars, ``collections.Counter`` and ``HistoryBuffer`` objects) no longer load, so
``--resume`` dies. This module loads them with ``weights_only=True`` plus an explicit allow-list, and refuses any other
pickled object unless the user opted in (``trust=True`` or ``ALIGN_TRUST_CHECKPOINTS=1``).

``HistoryBuffer`` pickles its statistics methods as ``getattr(HistoryBuffer, 'min')``. A general ``getattr`` would
re-open arbitrary code execution, so the pickle's ``builtins.getattr`` is mapped to :func:`_history_buffer_getattr`,
which only hands out those statistics methods.
"""
import collections
import os
import pickle
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch

TRUST_ENV = 'ALIGN_TRUST_CHECKPOINTS'


class UnsafeCheckpointError(RuntimeError):
    """Raised when a checkpoint holds pickled objects outside the allow-list."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Restricted stand-in for ``getattr`` while unpickling.

    Args:
        obj: the object the pickle asks an attribute of.
        name: the attribute name.

    Returns:
        ``HistoryBuffer.<name>`` when it is one of HistoryBuffer's statistics methods.

    Raises:
        pickle.UnpicklingError: for any other object or attribute.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({getattr(obj, "__qualname__", type(obj).__name__)}, {name!r}) is not allowed in a checkpoint')


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """Return the globals an mmengine-written checkpoint may hold, for ``torch.serialization.safe_globals``.

    Returns:
        A list of allowed classes/functions and ``(callable, dotted name)`` pairs.
    """
    allowed: List[Union[Callable, Tuple[Callable, str]]] = [
        collections.OrderedDict, collections.Counter, collections.defaultdict,
        np.ndarray, np.dtype,
        (np._core.multiarray.scalar, 'numpy._core.multiarray.scalar'),
        (np._core.multiarray._reconstruct, 'numpy._core.multiarray._reconstruct'),
        # numpy < 2 pickles name the same functions under numpy.core.
        (np._core.multiarray.scalar, 'numpy.core.multiarray.scalar'),
        (np._core.multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    # numpy 2 pickles a dtype by its class, e.g. numpy.dtypes.Float64DType.
    allowed += [cls for cls in vars(np.dtypes).values() if isinstance(cls, type) and issubclass(cls, np.dtype)]
    try:
        from mmengine.logging import HistoryBuffer
        allowed.append(HistoryBuffer)
    except ImportError:  # pragma: no cover - mmengine is a hard dependency of the plugins
        pass
    return allowed


def _trusted_by_environment() -> bool:
    return os.environ.get(TRUST_ENV, '').lower() in ('1', 'true', 'yes')


def safe_load(filename: Union[str, os.PathLike], map_location: Any = 'cpu', trust: Optional[bool] = None) -> Any:
    """Load a checkpoint with ``weights_only=True`` and the mmengine allow-list.

    Args:
        filename: path of the checkpoint.
        map_location: forwarded to ``torch.load``.
        trust: load arbitrary pickles (only for files you trust). ``None`` reads ``ALIGN_TRUST_CHECKPOINTS``.

    Returns:
        The unpickled checkpoint.

    Raises:
        FileNotFoundError: if ``filename`` does not exist.
        UnsafeCheckpointError: if the file holds objects outside the allow-list and ``trust`` is off.
    """
    filename = os.path.expanduser(os.fspath(filename))
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    if trust is None:
        trust = _trusted_by_environment()
    if trust:
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refusing to unpickle {filename}: {_refusal_reason(err)}. Loading it could run arbitrary code. If you '
            f'trust this file, pass --trust-checkpoint to the tool or set {TRUST_ENV}=1.') from None


def _refusal_reason(err: Exception) -> str:
    """The line of torch's weights-only error that says what was refused, without its boilerplate."""
    text = str(err).split('WeightsUnpickler error:', 1)[-1]
    boilerplate = ('Weights only load failed', 'Please file an issue', 'Check the documentation')
    for line in (ln.strip() for ln in text.splitlines()):
        if line and not line.startswith(boilerplate):
            return line.rstrip('.')
    return 'an object outside the checkpoint allow-list'


def _mmengine_load_from_local(filename: str, map_location: Any) -> Any:
    """mmengine ``CheckpointLoader`` scheme for local paths that uses :func:`safe_load`."""
    return safe_load(filename, map_location=map_location)


def install_mmengine_safe_loading() -> None:
    """Make mmengine's local checkpoint loading (``load_from``, ``resume``, ``Pretrained`` init) use :func:`safe_load`.

    Idempotent; safe to call at every import of the plugins.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    if CheckpointLoader._schemes.get('') is not _mmengine_load_from_local:
        CheckpointLoader.register_scheme(prefixes='', force=True)(_mmengine_load_from_local)
