"""Train the X-CLIP demo config once per seed and print its validation top-1 per evaluation, with mean +- std.

    python tools/data/generate_demo_videos.py
    python tools/analysis/xclip_demo_seeds.py [--seeds 0 1 2] [--work-dir work_dirs/xclip_demo_seeds]

Each seed is a separate ``tools/train.py`` run (``randomness.seed=<seed>``: weights, data order, augmentations and
mixing); the table is read from the runs' ``vis_data/scalars.json``. std is the sample standard deviation (n - 1).
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/xclip/xclip_vit-tiny-4f_1xb8-1000it_demo-videos-32px.py'


def read_top1(work_dir: str, metric: str = 'video/top1') -> Dict[int, float]:
    """``{iteration: value}`` of ``metric`` from the newest run under ``work_dir``.

    mmengine logs validation results of an iteration-based loop with ``step`` 0, so the iteration of the k-th
    result is ``k * train_cfg.val_interval``, read from the config the run dumped.

    Args:
        work_dir: a ``tools/train.py`` work dir.
        metric: the logged key.

    Returns:
        The values by iteration.

    Raises:
        FileNotFoundError: no ``scalars.json`` (the run failed before logging).
    """
    from mmengine.config import Config
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}: did the training run?')
    run_dir = osp.dirname(osp.dirname(files[-1]))
    interval = Config.fromfile(glob.glob(osp.join(run_dir, 'vis_data', 'config.py'))[0]).train_cfg.val_interval
    with open(files[-1], encoding='utf-8') as f:
        records = [json.loads(line) for line in f]
    values = [float(r[metric]) for r in records if metric in r]
    return {interval * (k + 1): v for k, v in enumerate(values)}


def table(runs: Dict[int, Dict[int, float]]) -> List[str]:
    """Markdown rows: iteration, one column per seed, mean +- std.

    Args:
        runs: ``{seed: {iteration: top-1}}``.

    Returns:
        The lines of the table.
    """
    seeds = sorted(runs)
    iterations = sorted(set.intersection(*(set(r) for r in runs.values())))
    lines = ['| iteration | ' + ' | '.join(f'seed {s}' for s in seeds) + ' | mean +- std |',
             '| --- |' + ' --- |' * (len(seeds) + 1)]
    for it in iterations:
        values = [runs[s][it] for s in seeds]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        lines.append(f'| {it} | ' + ' | '.join(f'{v:.1f}' for v in values) +
                     f' | {statistics.mean(values):.1f} +- {spread:.1f} |')
    return lines


def main() -> None:
    """Parse the command line, train once per seed, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/xclip_demo_seeds')
    parser.add_argument('--cfg-options', nargs='*', default=[], help='passed to tools/train.py')
    args = parser.parse_args()
    runs, start = {}, time.time()
    for seed in args.seeds:
        work_dir = osp.join(args.work_dir, f'seed{seed}')
        command = [sys.executable, osp.join(REPO, 'tools/train.py'), args.config, '--work-dir', work_dir,
                   '--cfg-options', f'randomness.seed={seed}'] + args.cfg_options
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit(f'error: seed {seed} failed:\n{result.stderr[-3000:]}')
        runs[seed] = read_top1(work_dir)
    print(f'{args.config}: video/top1 on the validation set, {len(args.seeds)} seeds, '
          f'{time.time() - start:.0f} s in all')
    print('\n'.join(table(runs)))


if __name__ == '__main__':
    main()
