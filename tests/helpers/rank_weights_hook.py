"""Test helper imported through ``custom_imports``: each rank saves its final parameters for comparison."""
import os

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    """After training, write ``rank{R}_of_{W}.pth`` with this rank's parameters into the work dir."""

    def after_train(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        params = {k: v.detach().cpu().clone() for k, v in model.named_parameters()}
        torch.save(params, os.path.join(runner.work_dir, f'rank{get_rank()}_of_{get_world_size()}.pth'))
