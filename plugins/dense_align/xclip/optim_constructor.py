"""X-CLIP's parameter groups: a larger learning rate for the new modules, no weight decay on 1-D parameters,
biases and embeddings; frozen parameters are left out."""
from typing import List, Optional

import torch
from mmengine.optim import DefaultOptimWrapperConstructor

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS

NO_DECAY_NAMES = ('positional_embedding', 'class_embedding', 'token_embedding')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class XCLIPOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``paramwise_cfg=dict(new_module_keys=('message_', 'mit.', 'prompts'), new_lr_mult=10.0)``.

    A parameter is "new" when its name contains one of ``new_module_keys`` (lr x ``new_lr_mult``); it gets no decay
    when it has at most one dimension, is a bias, or is named in :data:`NO_DECAY_NAMES`. (mmengine's ``custom_keys``
    cannot express both rules: a custom key overrides the bias/norm decay rules.)

    Args:
        optim_wrapper_cfg: the ``optim_wrapper`` config.
        paramwise_cfg: ``new_module_keys`` and ``new_lr_mult``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        settings = dict(paramwise_cfg or {})
        self.new_module_keys = tuple(settings.pop('new_module_keys', ('message_', 'mit.', 'prompts')))
        self.new_lr_mult = float(settings.pop('new_lr_mult', 10.0))
        if settings:
            raise KeyError(f'XCLIPOptimWrapperConstructor: unknown paramwise_cfg keys {sorted(settings)}; expected '
                           'new_module_keys, new_lr_mult')
        super().__init__(optim_wrapper_cfg, dict(xclip_groups=True))  # non-empty: the parent calls add_params

    def add_params(self, params: List[dict], module: torch.nn.Module, prefix: str = '', **kwargs) -> None:
        """Append X-CLIP's parameter groups to ``params``.

        Args:
            params: the list the optimizer receives.
            module: the model.
            prefix: unused (kept for the parent's signature).
            **kwargs: unused.
        """
        base_wd = self.base_wd or 0.0
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            new = any(k in name for k in self.new_module_keys)
            decay = not (param.ndim <= 1 or name.endswith('.bias') or any(n in name for n in NO_DECAY_NAMES))
            key = (new, decay)
            if key not in groups:
                groups[key] = dict(params=[], lr=self.base_lr * (self.new_lr_mult if new else 1.0),
                                   weight_decay=base_wd if decay else 0.0)
            groups[key]['params'].append(param)
        params.extend(groups.values())
