"""Command-line options and config handling shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction

from .checkpoint import TRUST_ENV
from .launch import LAUNCHERS, cpu_ddp_wrapper_cfg, init_cpu_distributed


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options both tools take: ``--work-dir``, ``--trust-checkpoint``, ``--cfg-options``, ``--launcher``,
    ``--local-rank``, ``--debug``.

    Args:
        parser: the tool's parser, changed in place.
    """
    parser.add_argument('--work-dir', help='the folder for logs, checkpoints and metrics')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow checkpoints holding arbitrary pickled objects (only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_iters=100 optim_wrapper.optimizer.lr=0.01')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--debug', action='store_true', help='show full tracebacks for configuration errors')


def load_config(args: argparse.Namespace, required_files: Optional[List[str]] = None) -> Config:
    """Load ``args.config`` and apply the common options.

    Sets ``launcher``, merges ``--cfg-options``, chooses the work dir (command line, then config, then
    ``work_dirs/<config name>``), turns on trusted checkpoint loading if asked, and on a machine without CUDA
    initialises the gloo process group for distributed launchers.

    Args:
        args: parsed command line with the options of :func:`add_common_arguments` and ``config``.
        required_files: other files the tool needs, as ``'what path'`` pairs checked before anything is built.

    Returns:
        The config.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    for what, path in [('config file', args.config)] + list(required_files or []):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} {path} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.trust_checkpoint:
        os.environ[TRUST_ENV] = '1'
    if init_cpu_distributed(args.launcher):
        cpu_ddp_wrapper_cfg(cfg)
    return cfg
