"""MOFI demo on the embedded shapes data, end to end on a CPU, repeated over several training seeds:

1. write alt-text-like captions for the training images (once, the same pairs for every seed): the shape names of
   the image (each kept with p=0.9), a wrong shape name (p=0.5) and an entity that never appears (p=0.05), among
   noise words;
2. per seed: train the plain image-text CLIP (tiny ViT) on those pairs: the baseline, and the CLIP that filters I2E;
3. run I2E (tools/data/build_i2e.py logic) with that CLIP: mentions -> CLIP margin / top-k filter -> min images;
   report label precision before and after filtering (the demo knows each image's true shapes);
4. train a tiny MOFI three times (multi-task, classification only, contrastive only) on the I2E labels, same batch
   and iterations as the CLIP;
5. report GPR1200-style mAP (held-out images; instance class = largest object) and zero-shot top-1 of every model,
   per seed and as mean +- std over the seeds.

Seeds run as parallel subprocesses (``--jobs``), one thread each, data loading in the main process. One training
iteration (batch 64) took 0.42 s on one thread of a lightly loaded core, so 2 seeds x 4 models x 300 iterations
took 219 s on the idle 2-core machine (``make demo-mofi``, commit 454fed0; 3 min 55 s with the set-up check).

    OMP_NUM_THREADS=1 python tools/demo_mofi.py [--seeds 0 1] [--jobs 2] [--iters 300] [--recipes mofi_multitask]
        [--work-dir work_dirs/demo_mofi]
"""
import argparse
import csv
import json
import os
import os.path as osp
import random
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'plugins'))

import dense_align  # noqa: E402,F401
from dense_align.datasets.demo_shapes import CLASSES  # noqa: E402
from dense_align.mofi.clip_scorer import ClipScorer  # noqa: E402
from dense_align.mofi.entity_recognizer import NameMatcher  # noqa: E402
from dense_align.mofi.entity_table import Entity, write_entity_table  # noqa: E402
from dense_align.mofi.i2e_builder import build_i2e  # noqa: E402
from dense_align.mofi.i2e_filter import ScoreFilter  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

ROOT = 'data/demo_shapes'
MOFI_CONFIG = 'configs/mofi/mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
CLIP_CONFIG = 'configs/mofi/clip_vit-tiny_1xb64-300it_demo-shapes-alttext-64x64.py'
NOISE = ['free shipping', 'best price', 'HD wallpaper', 'IMG', 'stock photo', 'sale', 'new', '2024', 'download',
         'sticker', 'vector art', 'poster', 'print', 'cheap', 'top 10', 'click here']
MOFI_RECIPES = {'mofi_multitask': dict(cls=1.0, con=1.0), 'mofi_classification': dict(cls=1.0, con=0.0),
                'mofi_contrastive': dict(cls=0.0, con=1.0)}
METRICS = ('instance_retrieval/mAP', 'zero_shot/top1')
DESCRIPTIONS = {'red circle': 'a round red shape', 'green triangle': 'a three-cornered green shape',
                'blue square': 'a four-sided blue shape', 'yellow star': 'a pointed yellow shape',
                'striped square': 'a four-sided shape with stripes', 'dotted circle': 'a round shape with dots'}


def true_labels(split: str) -> dict:
    """file name -> set of shape names in the image (COCO instances)."""
    coco = json.load(open(osp.join(ROOT, 'annotations', f'instances_{split}.json')))
    names = {img['id']: img['file_name'] for img in coco['images']}
    out = {name: set() for name in names.values()}
    for ann in coco['annotations']:
        out[names[ann['image_id']]].add(CLASSES[ann['category_id'] - 1])
    return out


def write_alt_texts(out_dir: str, seed: int = 0) -> dict:
    """Noisy alt-texts of the training images; returns image path -> true shapes."""
    rng = random.Random(seed)
    truth = {f'images/train/{k}': v for k, v in true_labels('train').items()}
    with open(osp.join(out_dir, 'alt_text_train.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filepath', 'caption'])
        for path, shapes in truth.items():
            words = [s for s in sorted(shapes) if rng.random() < 0.9]
            if rng.random() < 0.5:
                words.append(rng.choice([c for c in CLASSES if c not in shapes]))
            if rng.random() < 0.05:
                words.append('purple hexagon')
            words += rng.sample(NOISE, 3)
            rng.shuffle(words)
            text = ' '.join(w.upper() if rng.random() < 0.2 else w for w in words)
            writer.writerow([path, text if rng.random() < 0.5 else ', '.join(words)])
    vocab = [Entity(f'S{i}', n, DESCRIPTIONS[n]) for i, n in enumerate(CLASSES)] + [Entity('S99', 'purple hexagon')]
    write_entity_table(osp.join(out_dir, 'vocab.jsonl'), vocab)
    return truth


def run(config: str, work_dir: str, iters: int, seed: int, options: dict) -> tuple:
    """Train a config for ``iters`` iterations with training seed ``seed``, then test; returns (runner, metrics)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    warmup = min(30, max(1, iters // 10))
    cfg.param_scheduler[0].end = cfg.param_scheduler[1].begin = warmup
    cfg.param_scheduler[1].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):  # one core per seed
        cfg[loader].num_workers, cfg[loader].persistent_workers = 0, False
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, runner.test()


def precision(rows, truth) -> tuple:
    """(correct labels / labels, labels) of [(image, [entity names])]."""
    labels = sum(len(n) for _, n in rows)
    correct = sum(len(set(n) & truth[img]) for img, n in rows)
    return correct / max(labels, 1), labels


def run_seed(args: argparse.Namespace, truth: dict) -> dict:
    """CLIP baseline, I2E with it, and the three MOFI recipes for one training seed; returns the seed's report."""
    seed, work_dir = args.seed, args.work_dir
    i2e_dir = osp.join(ROOT, 'i2e', f'seed{seed}')
    shutil.rmtree(i2e_dir, ignore_errors=True)  # scores of an earlier CLIP must not be reused
    os.makedirs(i2e_dir)
    report = dict(seed=seed, iters=args.iters)
    start = time.process_time(), time.perf_counter()
    clip_runner, report['clip_baseline'] = run(CLIP_CONFIG, osp.join(work_dir, 'clip'), args.iters, seed, {})
    entities = read_vocab(osp.join(ROOT, 'i2e', 'vocab.jsonl'))
    matcher = NameMatcher(entities)
    name_of = {e.id: e.name for e in entities}
    captions = osp.join(ROOT, 'i2e', 'alt_text_train.csv')
    raw = [(row['filepath'], [name_of[e] for e, _ in matcher(row['caption'])])
           for row in csv.DictReader(open(captions))]
    t0 = time.perf_counter()
    model = clip_runner.model
    summary = build_i2e(captions, ROOT, entities, matcher, ClipScorer(model, model.image_encoder.arch['image_size']),
                        i2e_dir, ScoreFilter(top_k=args.top_k, margin=args.margin), args.min_images, template='{}',
                        part_size=64, progress=False)
    seconds = time.perf_counter() - t0
    kept = [(r['image'], [name_of[e] for e in r['entity_ids']])
            for r in map(json.loads, open(osp.join(i2e_dir, 'labels.jsonl')))]
    report['i2e'] = dict(summary=summary.__dict__, pairs_per_s=summary.pairs_read / seconds,
                         mention_precision=precision(raw, truth), kept_precision=precision(kept, truth),
                         filter=dict(margin=args.margin, top_k=args.top_k, min_images=args.min_images))
    num_entities = sum(1 for _ in open(osp.join(i2e_dir, 'entities.jsonl')))
    data = {'train_dataloader.dataset.ann_file': f'i2e/seed{seed}/labels.jsonl',
            'train_dataloader.dataset.entity_file': f'i2e/seed{seed}/entities.jsonl',
            'model.num_entities': num_entities}
    for name in args.recipes:
        _, report[name] = run(MOFI_CONFIG, osp.join(work_dir, name), args.iters, seed,
                              {'model.loss_weights': MOFI_RECIPES[name], **data})
    report['cpu_s'], report['wall_s'] = time.process_time() - start[0], time.perf_counter() - start[1]
    return report


def read_vocab(path: str) -> list:
    """The demo's entity vocabulary."""
    vocab = [json.loads(line) for line in open(path)]
    return [Entity(v['id'], v['name'], v.get('description')) for v in vocab]


def summarise(reports: list) -> dict:
    """Mean, sample std and per-seed values of each model's held-out metrics."""
    out = {}
    for model in ['clip_baseline'] + [m for m in MOFI_RECIPES if m in reports[0]]:
        for metric in METRICS:
            values = [r[model][metric] for r in reports]
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            out[f'{model}/{metric}'] = dict(mean=statistics.mean(values), std=std, values=values)
    for key in ('mention_precision', 'kept_precision'):
        out[f'i2e/{key}'] = [r['i2e'][key][0] for r in reports]
    out['i2e/pairs_per_s'] = [r['i2e']['pairs_per_s'] for r in reports]
    return out


def main() -> None:
    """Run the demo (every seed in a subprocess) and write ``<work-dir>/report.json``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='training seeds')
    parser.add_argument('--jobs', type=int, default=2, help='seeds run at the same time')
    parser.add_argument('--recipes', nargs='+', default=list(MOFI_RECIPES), choices=list(MOFI_RECIPES),
                        help='MOFI recipes to train after the CLIP baseline')
    parser.add_argument('--seed', type=int, default=None, help=argparse.SUPPRESS)  # one seed, in a subprocess
    parser.add_argument('--work-dir', default='work_dirs/demo_mofi')
    parser.add_argument('--margin', type=float, default=0.1, help='I2E: keep candidates within this of the best')
    parser.add_argument('--top-k', type=int, default=3)
    parser.add_argument('--min-images', type=int, default=5)
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    truth = {f'images/train/{k}': v for k, v in true_labels('train').items()}
    if args.seed is not None:
        report = run_seed(args, truth)
        with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
            json.dump(report, f, indent=2, default=float)
        return
    start = time.perf_counter()
    os.makedirs(osp.join(ROOT, 'i2e'), exist_ok=True)
    write_alt_texts(osp.join(ROOT, 'i2e'))
    pending, running, reports = list(args.seeds), [], []
    flags = ['--iters', str(args.iters), '--recipes'] + args.recipes + ['--margin', str(args.margin), '--top-k', str(args.top_k), '--min-images',
             str(args.min_images)]
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            seed_dir = osp.join(args.work_dir, f'seed{seed}')
            os.makedirs(seed_dir, exist_ok=True)
            log = open(osp.join(seed_dir, 'demo.log'), 'w')
            cmd = [sys.executable, __file__, '--seed', str(seed), '--work-dir', seed_dir] + flags
            running.append((seed, seed_dir, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)))
        seed, seed_dir, proc = running.pop(0)
        if proc.wait() != 0:
            raise RuntimeError(f'demo_mofi: seed {seed} failed, see {seed_dir}/demo.log')
        with open(osp.join(seed_dir, 'report.json')) as f:
            reports.append(json.load(f))
    result = dict(iters=args.iters, seeds=args.seeds, wall_s=time.perf_counter() - start,
                  summary=summarise(reports), per_seed=reports)
    with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
        json.dump(result, f, indent=2, default=float)
    print(json.dumps(result['summary'], indent=2, default=float))
    for key, value in result['summary'].items():
        if isinstance(value, dict):
            print(f'{key:45s} {value["mean"]:6.2f} +- {value["std"]:5.2f}  '
                  f'({", ".join(f"{v:.2f}" for v in value["values"])})')
    print(f'wall {result["wall_s"]:.0f} s')


if __name__ == '__main__':
    main()
