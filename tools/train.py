"""Train a model from an mmengine config, the mmdet/mmseg way.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args...]      # torchrun; gloo on machines without a GPU
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))  # uninstalled checkout

import dense_align  # noqa: E402,F401  (registers modules, safe checkpoint loading)
import text_align  # noqa: E402,F401
import torch  # noqa: E402
from align_core.cli import run_tool  # noqa: E402
from align_core.config_check import check_data_paths  # noqa: E402
from align_core.launch import LAUNCHERS, cpu_ddp_wrapper_cfg, init_cpu_distributed  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Parse the command line.

    Returns:
        The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the folder for logs and checkpoints')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (needs a GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the learning rate by the batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or without a path from the latest one in the work dir')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow checkpoints holding arbitrary pickled objects (only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_iters=100 optim_wrapper.optimizer.lr=0.01')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--debug', action='store_true', help='show full tracebacks for configuration errors')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options.

    Args:
        args: parsed command line.

    Returns:
        The config to build the Runner from.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
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
    if args.trust_checkpoint:
        os.environ['ALIGN_TRUST_CHECKPOINTS'] = '1'
    if init_cpu_distributed(args.launcher):
        cpu_ddp_wrapper_cfg(cfg)
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
