"""open_clip's weight-decay rule as an mmengine optimizer-wrapper constructor: no decay on any parameter with at
most one dimension (biases, norm scales, ``class_embedding``, ``logit_scale``)."""
from fnmatch import fnmatchcase
from typing import List, Optional

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NoDecayOnVectorsConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, then weight decay 0 for every parameter with ``ndim <= 1`` and every
    parameter whose full name matches one of ``paramwise_cfg['no_decay_names']`` (``fnmatch`` globs).

    open_clip 3.3.0 excludes ``ndim < 2`` plus names containing ``bn``/``ln``/``bias``/``logit_scale`` (all 1-D in
    CLIP); its later releases use ``ndim <= 1`` plus the model's ``no_weight_decay()`` names, which add the
    positional embeddings: give ``no_decay_names=['*positional_embedding']`` for that. The other ``paramwise_cfg``
    keys (``custom_keys`` lr multipliers ...) work as in mmengine.

    Args:
        optim_wrapper_cfg: the ``optim_wrapper`` config.
        paramwise_cfg: mmengine's ``paramwise_cfg`` plus ``no_decay_names``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        names = paramwise_cfg.pop('no_decay_names', [])
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(f'paramwise_cfg.no_decay_names must be a list of glob strings, got {names!r}')
        self.no_decay_names = list(names)
        paramwise_cfg.setdefault('custom_keys', {})  # non-empty, so mmengine builds per-parameter groups
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
        """mmengine's per-parameter groups; at the top level, weight decay 0 for the excluded parameters.

        Args:
            params: the groups built so far (filled in place).
            module: the module whose parameters are added.
            prefix: the module's name in the model ('' at the top).
            **kwargs: passed to mmengine's ``add_params``.
        """
        super().add_params(params, module, prefix, **kwargs)
        if prefix:
            return
        names = {id(p): n for n, p in module.named_parameters()}
        for group in params:
            for param in group['params']:
                name = names.get(id(param), '')
                if param.ndim <= 1 or any(fnmatchcase(name, pattern) for pattern in self.no_decay_names):
                    group['weight_decay'] = 0.0
