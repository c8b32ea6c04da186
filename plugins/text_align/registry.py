"""Registries of the ``text_align`` scope (language methods).

Text encoders, losses, samplers and metrics live only here; configs of this package set ``default_scope='text_align'``.
"""
from align_core.registry import child_registry

_SCOPE = 'text_align'
_LOCATIONS = ['text_align']

MODELS = child_registry('MODELS', _SCOPE, _LOCATIONS)
MODEL_WRAPPERS = child_registry('MODEL_WRAPPERS', _SCOPE, _LOCATIONS)
DATASETS = child_registry('DATASETS', _SCOPE, _LOCATIONS)
DATA_SAMPLERS = child_registry('DATA_SAMPLERS', _SCOPE, _LOCATIONS)
TRANSFORMS = child_registry('TRANSFORMS', _SCOPE, _LOCATIONS)
METRICS = child_registry('METRICS', _SCOPE, _LOCATIONS)
EVALUATOR = child_registry('EVALUATOR', _SCOPE, _LOCATIONS)
HOOKS = child_registry('HOOKS', _SCOPE, _LOCATIONS)
LOOPS = child_registry('LOOPS', _SCOPE, _LOCATIONS)
OPTIMIZERS = child_registry('OPTIMIZERS', _SCOPE, _LOCATIONS)
OPTIM_WRAPPERS = child_registry('OPTIM_WRAPPERS', _SCOPE, _LOCATIONS)
OPTIM_WRAPPER_CONSTRUCTORS = child_registry('OPTIM_WRAPPER_CONSTRUCTORS', _SCOPE, _LOCATIONS)
PARAM_SCHEDULERS = child_registry('PARAM_SCHEDULERS', _SCOPE, _LOCATIONS)
