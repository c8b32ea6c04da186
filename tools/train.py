"""Train a model from an mmengine config, the mmdet/mmseg way.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args...]      # torchrun; gloo on machines without a GPU
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))  # uninstalled checkout

import importlib  # noqa: E402

import torch  # noqa: E402
from align_core.cli import run_tool  # noqa: E402
from align_core.config_check import check_data_paths  # noqa: E402
from align_core.tool_config import add_common_arguments, load_config  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Parse the command line.

    Returns:
        The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (needs a GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the learning rate by the batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or without a path from the latest one in the work dir')
    add_common_arguments(parser)
    return parser.parse_args()


def import_plugins(cfg: Config) -> None:
    """Import the plugin packages the config needs (registration, safe checkpoint loading): ``text_align`` always,
    ``dense_align`` (and with it mmdet/mmseg, which take most of the start-up time) unless the config is a text one.

    Args:
        cfg: the loaded config; its ``default_scope`` decides.
    """
    importlib.import_module('text_align')
    if cfg.get('default_scope') != 'text_align':
        importlib.import_module('dense_align')


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options.

    Args:
        args: parsed command line.

    Returns:
        The config to build the Runner from.
    """
    cfg = load_config(args)
    import_plugins(cfg)
    if args.amp:
        if not torch.cuda.is_available():
            raise SystemExit('error: --amp needs a CUDA device (mmengine AmpOptimWrapper); none is available here')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise SystemExit('error: --auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint {args.resume} does not exist')
        cfg.resume, cfg.load_from = True, args.resume
    check_data_paths(cfg, ('train_dataloader', 'val_dataloader') if cfg.get('val_cfg') else ('train_dataloader',))
    return cfg


def main() -> None:
    """Build the Runner from the config and train."""
    args = parse_args()

    def train() -> None:
        cfg = build_config(args)
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        runner.train()

    run_tool(train, debug=args.debug)


if __name__ == '__main__':
    main()
