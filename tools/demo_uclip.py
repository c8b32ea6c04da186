"""uCLIP demo on the demo shapes data: per-language retrieval R@1 on the held-out images before and after training
the two heads from English captions only, over several seeds.

The frozen CLIP is a plain-CLIP run of the DreamLIP demo (``--clip-checkpoint``, e.g.
``work_dirs/demo_dreamlip/clip_seed0/iter_300.pth`` from ``make demo-dreamlip``); the frozen text encoder is the
shipped all-MiniLM-L6-v2, which is English-only: the demo measures the mechanism (heads trained on English captions
with pseudo pairs soft-retrieved from banks of the unpaired training images and the unpaired de/fr/es training
captions), not multilinguality. "Before" = the same model with untrained heads (initialisation, BatchNorm at its
initial statistics); "after" = ``--iters`` steps of the config (``configs/uclip/...demo...py``). The banks are
encoded once into ``<work-dir>/banks`` and memory-mapped by every run.

    OMP_NUM_THREADS=1 python tools/demo_uclip.py --clip-checkpoint CKPT [--data data/demo_shapes] [--seeds 0 1] \
        [--iters 200] [--work-dir work_dirs/demo_uclip]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))

import dense_align  # noqa: E402,F401
import text_align  # noqa: E402,F401

CONFIG = 'configs/uclip/uclip_minilm-l6_clip-vit-tiny_1xb64-200it_demo-shapes-64x64.py'


def build_cfg(args: argparse.Namespace, seed: int, work_dir: str):
    """The demo config pointed at the data, the CLIP checkpoint and the shared bank caches."""
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    root = args.data.rstrip('/') + '/'
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.model.clip_checkpoint = args.clip_checkpoint
    cfg.model.image_bank.update(cache_file=osp.join(args.work_dir, 'banks', 'images.npy'), data_root=root)
    cfg.model.text_bank.update(cache_file=osp.join(args.work_dir, 'banks', 'texts.npy'), data_root=root)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    cfg.train_cfg.max_iters = args.iters
    cfg.train_cfg.val_interval = args.iters + 1  # tested once after training
    cfg.param_scheduler[0].end = args.iters
    cfg.default_hooks.checkpoint.interval = args.iters
    return cfg


def r_at_1(metrics: dict) -> dict:
    """``{lang: (i2t R@1, t2i R@1)}`` from the metric's output."""
    out = {}
    for key, value in metrics.items():
        parts = key.split('/')
        if len(parts) == 3 and parts[2].endswith('_R@1'):
            out.setdefault(parts[1], [None, None])[0 if parts[2].startswith('i2t') else 1] = float(value)
    return out


def main() -> None:
    from mmengine.runner import Runner
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clip-checkpoint', required=True, help='the frozen CLIP (a CLIPPretrainer checkpoint)')
    parser.add_argument('--data', default='data/demo_shapes')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--work-dir', default='work_dirs/demo_uclip')
    args = parser.parse_args()
    if not osp.isfile(args.clip_checkpoint):
        raise FileNotFoundError(f'demo_uclip: --clip-checkpoint {args.clip_checkpoint} does not exist (run make '
                                f'demo-dreamlip first, or pass a CLIPPretrainer checkpoint of the demo CLIP)')
    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        before = Runner.from_cfg(build_cfg(args, seed, osp.join(args.work_dir, f'seed{seed}_before')))
        model = before.model.module if hasattr(before.model, 'module') else before.model
        trainable = model.num_trainable_parameters()
        metrics_before = r_at_1(before.test())
        after = Runner.from_cfg(build_cfg(args, seed, osp.join(args.work_dir, f'seed{seed}')))
        t0 = time.perf_counter()
        after.train()
        train_s = time.perf_counter() - t0
        runs.append(dict(seed=seed, trainable=trainable, before=metrics_before, after=r_at_1(after.test()),
                         train_s=train_s))
    langs = list(runs[0]['after'])
    summary = {}
    for stage in ('before', 'after'):
        for lang in langs:
            for d, name in enumerate(('i2t', 't2i')):
                values = [r[stage][lang][d] for r in runs]
                summary[f'{stage}/{lang}/{name}_R@1'] = dict(
                    mean=statistics.mean(values), values=values,
                    std=statistics.stdev(values) if len(values) > 1 else 0.0)
    result = dict(iters=args.iters, seeds=args.seeds, trainable_parameters=runs[0]['trainable'],
                  wall_s=time.perf_counter() - start, summary=summary, runs=runs)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
        json.dump(result, f, indent=2, default=float)
    print(f'trainable parameters (heads): {result["trainable_parameters"]:,}')
    for key, value in summary.items():
        values = ', '.join(f'{v:.2f}' for v in value['values'])
        print(f'{key:24s} {value["mean"]:6.2f} +- {value["std"]:5.2f}  ({values})')
    train = ', '.join(f'{r["train_s"]:.0f}' for r in runs)
    print(f'wall {result["wall_s"]:.0f} s (training {train} s)')


if __name__ == '__main__':
    main()
