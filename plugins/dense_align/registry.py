"""Registries of the ``dense_align`` scope (vision, dense and video methods).

Backbones, necks and heads that mmdet/mmseg users plug in are also registered into mmdet's and mmseg's MODELS (see
:mod:`dense_align.registration`); models with no home there (self-supervised pre-training, video) live only here.
"""
from align_core.registry import child_registry

_SCOPE = 'dense_align'
_LOCATIONS = ['dense_align']

MODELS = child_registry('MODELS', _SCOPE, _LOCATIONS)
MODEL_WRAPPERS = child_registry('MODEL_WRAPPERS', _SCOPE, _LOCATIONS)
WEIGHT_INITIALIZERS = child_registry('WEIGHT_INITIALIZERS', _SCOPE, _LOCATIONS)
TASK_UTILS = child_registry('TASK_UTILS', _SCOPE, _LOCATIONS)
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
VISUALIZERS = child_registry('VISUALIZERS', _SCOPE, _LOCATIONS)
VISBACKENDS = child_registry('VISBACKENDS', _SCOPE, _LOCATIONS)
