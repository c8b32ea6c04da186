"""PixPro on the embedded demo images: does pixel-level pre-training without labels pay off for segmentation with
64 labels, against random initialisation and against a BYOL-only pre-training of the same length?

    OMP_NUM_THREADS=1 python tools/demo_pixpro.py [--work-dir work_dirs/demo_pixpro] [--data data/demo_shapes]
        [--pretrain-seeds 0] [--seeds 0 1 2] [--pretrain-iters 200] [--finetune-iters 200]

1. pre-train the thin ResNet-18 (width 16) on the 256 demo training images without labels, twice with the same
   views, optimiser, schedule and length: PixPro (pixel propagation, configs/pixpro/pixpro_r18-w16_*_demo-*.py) and
   BYOL only (the same config with ``loss_weights = dict(propagation=0, instance=1)``); export each online encoder
   (once per ``--pretrain-seeds`` entry);
2. fine-tune Semantic FPN on the first 64 labelled training images (configs/pixpro/transfer/semfpn_*_64labels.py)
   from the PixPro encoder, the BYOL encoder and random initialisation, once per ``--seeds`` entry;
3. evaluate mIoU on the 64 validation images.
Writes ``results.json`` and ``report.md`` (every run's mIoU, mean +- std per initialisation, wall time) into the work
dir. Everything runs in this process on the CPU; nothing is downloaded. Settings were fixed before measuring.
"""
import argparse
import json
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'plugins'))

import dense_align  # noqa: E402,F401  (registers modules, safe checkpoint loading)
import torch  # noqa: E402
from dense_align.datasets.demo_shapes import DemoShapesSpec, generate_demo_shapes, is_generated  # noqa: E402
from dense_align.pixpro import online_encoder_state  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

PRETRAIN_CONFIG = osp.join(REPO, 'configs/pixpro/pixpro_r18-w16_1xb16-lars-200it_demo-shapes-128px.py')
FINETUNE_CONFIG = osp.join(REPO, 'configs/pixpro/transfer/semfpn_r18-w16-pixpro_fpn_1xb8-200it_demo-shapes-64labels.py')
PRETRAININGS = {'PixPro': dict(propagation=1.0, pixcontrast=0.0, instance=0.0),
                'BYOL only': dict(propagation=0.0, pixcontrast=0.0, instance=1.0)}
ARMS = ('PixPro', 'BYOL only', 'random init')


def run(config: str, work_dir: str, name: str, seed: int, options: dict) -> Runner:
    """Train ``config`` in this process (one CPU process, no launcher, warnings-only log) and return the Runner."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.update(work_dir=work_dir, launcher='none', experiment_name=f'{name}_seed{seed}_{time.time_ns()}',
               randomness=dict(seed=seed), log_level='WARNING')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def pretrain(name: str, seed: int, args: argparse.Namespace) -> str:
    """Pre-train one arm without labels and export its online encoder; returns the exported file."""
    work = osp.join(args.work_dir, f'pretrain_{name.split()[0].lower()}_seed{seed}')
    iters = args.pretrain_iters
    warmup = max(1, iters // 10)  # 20 of 200 as in the config
    options = {'model.loss_weights': PRETRAININGS[name], 'train_dataloader.dataset.data_root': args.data,
               'train_cfg.max_iters': iters, 'param_scheduler.0.end': warmup, 'param_scheduler.1.begin': warmup,
               'param_scheduler.1.end': iters, 'default_hooks.checkpoint.interval': iters}
    runner = run(PRETRAIN_CONFIG, work, name, seed, options)
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    path = osp.join(work, 'encoder_mmseg.pth')
    torch.save({'state_dict': online_encoder_state(model.state_dict())}, path)
    return path


def finetune(arm: str, seed: int, tag: str, encoder: Optional[str], args: argparse.Namespace) -> float:
    """Fine-tune Semantic FPN on 64 labelled images from ``encoder`` (None: random init); returns val mIoU."""
    work = osp.join(args.work_dir, f'finetune_{arm.split()[0].lower()}_{tag}')
    iters = args.finetune_iters
    options = {'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters + 1,  # evaluated once, below
               'param_scheduler.0.end': iters, 'default_hooks.checkpoint.interval': iters}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.dataset.data_root': args.data, f'{loader}.num_workers': 0,
                        f'{loader}.persistent_workers': False})
    if encoder:
        options['model.backbone.init_cfg'] = dict(type='Pretrained', checkpoint=encoder)
    runner = run(FINETUNE_CONFIG, work, f'finetune_{arm}', seed, options)
    return float(runner.val()['mIoU'])


def mean_std(values: List[float]) -> str:
    """``mean +- sample std`` with one decimal."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.1f} +- {std:.1f}'


def write_report(results: Dict[str, Dict[str, float]], args: argparse.Namespace, seconds: float) -> str:
    """Write ``report.md`` and ``results.json``; returns the report's text."""
    command = (f'OMP_NUM_THREADS=1 python tools/demo_pixpro.py --pretrain-seeds '
               f'{" ".join(map(str, args.pretrain_seeds))} --seeds {" ".join(map(str, args.seeds))} '
               f'--pretrain-iters {args.pretrain_iters} --finetune-iters {args.finetune_iters}')
    lines = ['# PixPro demo: segmentation with 64 labels after pre-training without labels', '',
             f'Command: `{command}`; wall time {seconds / 60:.1f} min.', '',
             '| initialisation | runs (pre-training seed / fine-tuning seed: mIoU) | mean +- std |',
             '| --- | --- | --- |']
    for arm in ARMS:
        runs = ', '.join(f'{tag}: {v:.1f}' for tag, v in results[arm].items())
        lines.append(f'| {arm} | {runs} | {mean_std(list(results[arm].values()))} |')
    lines += ['', 'mIoU (%) of Semantic FPN (thin ResNet-18) on the 64 validation images, fine-tuned on 64 labelled '
              'training images; the pre-trainings saw the 256 training images without labels. Random init has no '
              'pre-training seed ("-").']
    text = '\n'.join(lines) + '\n'
    with open(osp.join(args.work_dir, 'report.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(results=results, seconds=seconds, args=vars(args)), f, indent=1)
    return text


def main() -> None:
    """Parse the command line, run every seed and write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo_pixpro')
    parser.add_argument('--data', default='data/demo_shapes')
    parser.add_argument('--pretrain-seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], help='fine-tuning seeds')
    parser.add_argument('--pretrain-iters', type=int, default=200)
    parser.add_argument('--finetune-iters', type=int, default=200)
    args = parser.parse_args()
    args.work_dir, args.data = osp.abspath(args.work_dir), osp.abspath(args.data)
    start = time.time()
    if not is_generated(args.data, DemoShapesSpec()):  # 256 training / 64 validation images of 64 px
        generate_demo_shapes(args.data, DemoShapesSpec())
    results: Dict[str, Dict[str, float]] = {arm: {} for arm in ARMS}
    for seed in args.seeds:
        results['random init'][f'-/{seed}'] = finetune('random init', seed, f'seed{seed}', None, args)
        print(f'random init, fine-tuning seed {seed}: mIoU {results["random init"][f"-/{seed}"]:.1f}', flush=True)
    for pre_seed in args.pretrain_seeds:
        encoders = {name: pretrain(name, pre_seed, args) for name in PRETRAININGS}
        for seed in args.seeds:
            for name, encoder in encoders.items():
                tag = f'{pre_seed}/{seed}'
                results[name][tag] = finetune(name, seed, f'pre{pre_seed}_seed{seed}', encoder, args)
                print(f'{name}, pre-training seed {pre_seed}, fine-tuning seed {seed}: mIoU '
                      f'{results[name][tag]:.1f}', flush=True)
    print(write_report(results, args, time.time() - start))


if __name__ == '__main__':
    main()
