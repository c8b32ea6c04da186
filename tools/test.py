"""Evaluate a checkpoint on a config's test set, the mmdet/mmseg way.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--show-dir DIR]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args...]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))  # uninstalled checkout

import dense_align  # noqa: E402,F401  (registers modules, safe checkpoint loading)
import text_align  # noqa: E402,F401
from align_core.cli import run_tool  # noqa: E402
from align_core.config_check import check_data_paths  # noqa: E402
from align_core.tool_config import add_common_arguments, load_config  # noqa: E402
from dense_align.clip.fast_path import apply_test_fast_path  # noqa: E402
from dense_align.engine import ReleasedCheckpointHook  # noqa: E402
from mmengine.config import Config, ConfigDict  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Parse the command line.

    Returns:
        The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file (written, never read back here)')
    parser.add_argument('--show', action='store_true', help='show predictions in a window')
    parser.add_argument('--show-dir', help='save images with predictions drawn to this folder')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each image is shown with --show')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation with the config's tta_model and tta_pipeline (mmdet/mmseg style)")
    parser.add_argument('--no-fast-path', action='store_true',
                        help="run the CLIP encoders' plain forward (the fast path is on by default; the config's "
                        "`compile` also compiles the test step)")
    add_common_arguments(parser)
    return parser.parse_args()


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Switch the config's visualization hook on for ``--show`` / ``--show-dir`` (mmdet and mmseg hooks).

    Args:
        cfg: config, changed in place.
        args: parsed command line.
    """
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise SystemExit('error: --show/--show-dir need default_hooks.visualization in the config')
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        if hook['type'].split('.')[-1] == 'SegVisualizationHook':  # mmseg saves through the visualizer
            cfg.visualizer['save_dir'] = args.show_dir
            hook['interval'] = 1  # every image, not every 50th batch
        else:  # mmdet's DetVisualizationHook and hooks following it
            hook['test_out_dir'] = osp.abspath(args.show_dir)


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options.

    Args:
        args: parsed command line.

    Returns:
        The config to build the Runner from.
    """
    cfg = load_config(args, required_files=[('checkpoint', args.checkpoint)])
    cfg.load_from = args.checkpoint
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise SystemExit('error: --tta needs tta_model and tta_pipeline in the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'error: --out must name a .pkl file, got {args.out}')
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator = evaluators + [ConfigDict(type='DumpResults', out_file_path=args.out)]
    check_data_paths(cfg, ('test_dataloader', ))
    return cfg


def main() -> None:
    """Build the Runner from the config and run the test loop."""
    args = parse_args()

    def test() -> None:
        cfg = build_config(args)
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        runner.register_hook(ReleasedCheckpointHook())  # the authors' released files load directly (DenseCLIP, PixPro)
        apply_test_fast_path(runner, enabled=not args.no_fast_path)
        runner.test()

    run_tool(test, debug=args.debug)


if __name__ == '__main__':
    main()
