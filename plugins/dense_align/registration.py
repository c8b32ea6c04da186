"""Register one module class into the plugin's MODELS and, when installed, mmdet's and mmseg's MODELS.

A backbone registered with ``@register_model()`` is found by a config whose ``default_scope`` is ``'mmdet'``,
``'mmseg'`` or ``'dense_align'`` without a scope prefix. Each foreign registry is imported lazily and guarded, so the
package works with only one of the two codebases installed.
"""
import importlib
from typing import Callable, Sequence, Type

from .registry import MODELS

#: Codebases a model can be registered into, with the module that holds their ``MODELS`` registry.
FOREIGN_REGISTRIES = {'mmdet': 'mmdet.registry', 'mmseg': 'mmseg.registry'}


def register_model(into: Sequence[str] = ('mmdet', 'mmseg')) -> Callable[[Type], Type]:
    """Class decorator registering a module into ``dense_align.registry.MODELS`` and the listed codebases.

    Args:
        into: codebases whose MODELS also receive the class: any of ``'mmdet'``, ``'mmseg'``. Detectors go to
            ``('mmdet',)``, segmentors to ``('mmseg',)``, backbones/necks/heads to both.

    Returns:
        The decorator; it returns the class unchanged.
    """
    unknown = set(into) - set(FOREIGN_REGISTRIES)
    if unknown:
        raise ValueError(f'register_model(into=...) got {sorted(unknown)}; expected names from '
                         f'{sorted(FOREIGN_REGISTRIES)}')

    def decorator(cls: Type) -> Type:
        MODELS.register_module(module=cls)
        for codebase in into:
            try:
                registry_module = importlib.import_module(FOREIGN_REGISTRIES[codebase])
            except ImportError:
                continue
            registry_module.MODELS.register_module(module=cls)
        return cls

    return decorator
