"""DreamLIP vs plain CLIP on the demo shapes data, end to end on a CPU, over several training seeds.

Both models are the same tiny CLIP (ViT patch 8, width 64, 2 layers; 2-layer text transformer) trained on the same
256 training images, batch, optimiser and iterations (``configs/dreamlip/``): plain CLIP on the short captions,
DreamLIP on the short caption + 6 sub-captions of each image's long caption with the released losses. Reported on
the 64 held-out validation images: image->text and text->image R@1 (every caption of every image), zero-shot
classification top-1, and zero-shot segmentation mIoU from the dense (patch) embeddings (all pixels with a
background prompt, and the object pixels only).

Every (model, seed) run is a subprocess with one thread (``--jobs`` at a time). Not yet timed end to end; from single
300-step runs on the shared 2-core machine (DreamLIP 906 s, CLIP 344 s) 2 seeds x 2 models with 2 jobs need about
20 minutes there, less when the machine is idle. ``--resume`` reuses finished runs.

    OMP_NUM_THREADS=1 python tools/demo_dreamlip.py [--data data/demo_shapes] [--seeds 0 1] [--iters 300] \
        [--jobs 2] [--work-dir work_dirs/demo_dreamlip]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))

import dense_align  # noqa: E402,F401

CONFIGS = {'clip': 'configs/dreamlip/clip_vit-tiny_1xb64-300it_demo-shapes-64x64.py',
           'dreamlip': 'configs/dreamlip/dreamlip_vit-tiny_1xb64-300it_demo-shapes-64x64.py'}
METRICS = ('imagetext/i2t_R@1', 'imagetext/t2i_R@1', 'zero_shot/top1', 'seg/miou', 'seg/miou_objects',
           'image_cosine')


def image_cosine(method: str, run_dir: str, iters: int, data: str) -> float:
    """Mean pairwise cosine of the held-out image embeddings of a finished run (0.9 at initialisation; near 0 when
    training spreads them, near 1 when they collapse)."""
    import torch
    from mmengine.config import Config

    from dense_align.registry import MODELS
    sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), 'analysis'))
    from dreamlip_ablation import evaluate, load_split
    model = MODELS.build(Config.fromfile(CONFIGS[method]).model)
    state = torch.load(osp.join(run_dir, f'iter_{iters}.pth'), map_location='cpu', weights_only=False)['state_dict']
    model.load_state_dict(state)
    images, captions, _ = load_split(model, data, 'val')
    return evaluate(model.eval(), images, captions)[2]


def run_one(method: str, seed: int, data: str, iters: int, work_dir: str) -> dict:
    """Train one model with one seed under mmengine's Runner, test it and score zero-shot segmentation."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from dense_align.datasets.demo_shapes import CLASSES
    from dense_align.dreamlip.zero_shot_segmentation import evaluate_demo_segmentation
    cfg = Config.fromfile(CONFIGS[method])
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # no validation during training: tested once below
    warmup = min(30, max(1, iters // 10))
    cfg.param_scheduler[0].end = cfg.param_scheduler[1].begin = warmup
    cfg.param_scheduler[1].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):  # one core per run
        cfg[loader].dataset.data_root = data.rstrip('/') + '/'
        cfg[loader].num_workers, cfg[loader].persistent_workers = 0, False
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_s = time.perf_counter() - start
    metrics = dict(runner.test())
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    seg = evaluate_demo_segmentation(model.eval(), data, CLASSES)
    metrics.update({'seg/miou': seg['miou'], 'seg/miou_objects': seg['miou_objects']})
    return dict(method=method, seed=seed, iters=iters, train_s=train_s, metrics=metrics)


def summarise(reports: list) -> dict:
    """Mean, sample std and per-seed values of each model's held-out metrics."""
    out = {}
    for method in CONFIGS:
        rows = sorted((r for r in reports if r['method'] == method), key=lambda r: r['seed'])
        for metric in METRICS:
            values = [r['metrics'][metric] for r in rows]
            if values:
                out[f'{method}/{metric}'] = dict(mean=statistics.mean(values), values=values,
                                                 std=statistics.stdev(values) if len(values) > 1 else 0.0)
        if rows:
            out[f'{method}/train_s'] = [round(r['train_s'], 1) for r in rows]
    return out


def main() -> None:
    """Run every (model, seed) in a subprocess and write ``<work-dir>/report.json``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', default='data/demo_shapes')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='training seeds')
    parser.add_argument('--methods', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--jobs', type=int, default=2, help='runs at the same time')
    parser.add_argument('--work-dir', default='work_dirs/demo_dreamlip')
    parser.add_argument('--resume', action='store_true',
                        help='reuse the runs whose report.json (same --iters) is already in the work dir')
    parser.add_argument('--one', default=None, help=argparse.SUPPRESS)  # 'method:seed', in a subprocess
    args = parser.parse_args()
    if not osp.isfile(osp.join(args.data, 'annotations', 'long_captions_train.json')):
        raise FileNotFoundError(f'demo_dreamlip: {args.data}/annotations/long_captions_train.json is missing; '
                                f'generate the demo data first (make setup)')
    os.makedirs(args.work_dir, exist_ok=True)
    if args.one is not None:
        method, seed = args.one.split(':')
        report = run_one(method, int(seed), args.data, args.iters, args.work_dir)
        with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
            json.dump(report, f, indent=2, default=float)
        return
    start = time.perf_counter()
    # the slower DreamLIP runs first, so that the CLIP runs fill in behind them
    pending = [(m, s) for m in sorted(args.methods, key=lambda m: m != 'dreamlip') for s in args.seeds]
    running, reports = [], []
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    while pending or running:
        while pending and len(running) < args.jobs:
            method, seed = pending.pop(0)
            run_dir = osp.join(args.work_dir, f'{method}_seed{seed}')
            done = osp.join(run_dir, 'report.json')
            if args.resume and osp.isfile(done):
                with open(done) as f:
                    report = json.load(f)
                if report['iters'] == args.iters:
                    reports.append(report)
                    continue
            os.makedirs(run_dir, exist_ok=True)
            log = open(osp.join(run_dir, 'demo.log'), 'w')
            cmd = [sys.executable, __file__, '--one', f'{method}:{seed}', '--work-dir', run_dir, '--data', args.data,
                   '--iters', str(args.iters)]
            running.append((run_dir, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)))
        if not running:
            break
        run_dir, proc = running.pop(0)
        if proc.wait() != 0:
            raise RuntimeError(f'demo_dreamlip: {run_dir} failed, see {run_dir}/demo.log')
        with open(osp.join(run_dir, 'report.json')) as f:
            reports.append(json.load(f))
    for report in reports:
        run_dir = osp.join(args.work_dir, f'{report["method"]}_seed{report["seed"]}')
        report['metrics']['image_cosine'] = image_cosine(report['method'], run_dir, args.iters, args.data)
    result = dict(iters=args.iters, seeds=args.seeds, wall_s=time.perf_counter() - start,
                  summary=summarise(reports), runs=reports)
    with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
        json.dump(result, f, indent=2, default=float)
    for key, value in result['summary'].items():
        if isinstance(value, dict):
            print(f'{key:32s} {value["mean"]:6.2f} +- {value["std"]:5.2f}  '
                  f'({", ".join(f"{v:.2f}" for v in value["values"])})')
        else:
            print(f'{key:32s} {value}')
    print(f'wall {result["wall_s"]:.0f} s')


if __name__ == '__main__':
    main()
