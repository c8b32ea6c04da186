"""Lets evaluation packages written for numpy 1 run on numpy 2, without changing numpy for anyone else.

``cityscapesscripts`` 2.3.0 calls ``np.in1d`` (removed in numpy 2.4) and ``lvis`` 0.5.3 calls ``np.float`` (removed
in numpy 1.24), which breaks mmseg's ``CityscapesMetric`` and mmdet's ``LVISMetric``. The ``np`` name inside those
modules only is replaced by a view of numpy that also answers the removed names with their documented equivalents.
"""
import importlib
import types
from typing import Any

import numpy

#: Modules patched when importable, and the legacy names they use.
LEGACY_USERS = (
    'cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling',
    'cityscapesscripts.evaluation.evalInstanceLevelSemanticLabeling',
    'lvis.eval',
)


def _in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> numpy.ndarray:
    """numpy 1's ``in1d``: ``isin`` on the flattened first argument."""
    return numpy.isin(numpy.asarray(ar1).ravel(), ar2, assume_unique=assume_unique, invert=invert)


_LEGACY = {'in1d': _in1d, 'float': float, 'int': int, 'bool': bool, 'object': object}


class _NumpyWithLegacyNames(types.ModuleType):
    """Forwards every attribute to numpy; names numpy no longer has come from ``_LEGACY``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(numpy, name)
        except AttributeError:
            if name in _LEGACY:
                return _LEGACY[name]
            raise


def patch_legacy_numpy_users() -> None:
    """Give each importable module of :data:`LEGACY_USERS` the legacy-aware numpy view. Idempotent."""
    view = _NumpyWithLegacyNames('numpy')
    for name in LEGACY_USERS:
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - package absent or failing to import: nothing to patch
            continue
        if getattr(module, 'np', None) is numpy:
            module.np = view
