"""MOFI demo on the embedded shapes data, end to end on a CPU:

1. write alt-text-like captions for the training images: the shape names of the image (each kept with p=0.9), a
   wrong shape name (p=0.5) and an entity that never appears (p=0.05), among noise words;
2. train the plain image-text CLIP (tiny ViT) on those pairs: the baseline, and the CLIP that filters I2E;
3. run I2E (tools/data/build_i2e.py logic) with that CLIP: mentions -> CLIP margin / top-k filter -> min images;
   report label precision before and after filtering (the demo knows each image's true shapes);
4. train a tiny MOFI three times (classification only, contrastive only, multi-task) on the I2E labels;
5. report GPR1200-style mAP (instance class = largest object of each held-out image) and zero-shot top-1 of all.

    OMP_NUM_THREADS=2 python tools/demo_mofi.py [--iters 300] [--work-dir work_dirs/demo_mofi]
"""
import argparse
import csv
import json
import os
import os.path as osp
import random
import shutil
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


def run(config: str, work_dir: str, iters: int, options: dict) -> tuple:
    """Train a config for ``iters`` iterations, then test; returns (runner, metrics)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    warmup = min(30, max(1, iters // 10))
    cfg.param_scheduler[0].end = cfg.param_scheduler[1].begin = warmup
    cfg.param_scheduler[1].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, runner.test()


def precision(rows, truth) -> tuple:
    """(correct labels / labels, images with >= 1 label) of [(image, [entity names])]."""
    labels = sum(len(n) for _, n in rows)
    correct = sum(len(set(n) & truth[img]) for img, n in rows)
    return correct / max(labels, 1), labels


def main() -> None:
    """Run the demo and write ``<work-dir>/report.json``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--work-dir', default='work_dirs/demo_mofi')
    parser.add_argument('--margin', type=float, default=0.1, help='I2E: keep candidates within this of the best')
    parser.add_argument('--top-k', type=int, default=3)
    parser.add_argument('--min-images', type=int, default=5)
    args = parser.parse_args()
    start = time.process_time(), time.perf_counter()
    i2e_dir = osp.join(ROOT, 'i2e')
    shutil.rmtree(osp.join(i2e_dir, 'parts'), ignore_errors=True)  # scores of an earlier CLIP must not be reused
    os.makedirs(i2e_dir, exist_ok=True)
    truth = write_alt_texts(i2e_dir)
    report = dict(iters=args.iters)
    clip_runner, report['clip_baseline'] = run(CLIP_CONFIG, osp.join(args.work_dir, 'clip'), args.iters, {})
    vocab = [json.loads(line) for line in open(osp.join(i2e_dir, 'vocab.jsonl'))]
    entities = [Entity(v['id'], v['name'], v.get('description')) for v in vocab]
    matcher = NameMatcher(entities)
    name_of = {e.id: e.name for e in entities}
    raw = [(row['filepath'], [name_of[e] for e, _ in matcher(row['caption'])])
           for row in csv.DictReader(open(osp.join(i2e_dir, 'alt_text_train.csv')))]
    t0 = time.perf_counter()
    model = clip_runner.model
    summary = build_i2e(osp.join(i2e_dir, 'alt_text_train.csv'), ROOT, entities, matcher,
                        ClipScorer(model, model.image_encoder.arch['image_size']), i2e_dir,
                        ScoreFilter(top_k=args.top_k, margin=args.margin), args.min_images, template='{}',
                        part_size=64, progress=False)
    seconds = time.perf_counter() - t0
    kept = [(r['image'], [name_of[e] for e in r['entity_ids']])
            for r in map(json.loads, open(osp.join(i2e_dir, 'labels.jsonl')))]
    report['i2e'] = dict(summary=summary.__dict__, pairs_per_s=summary.pairs_read / seconds,
                         mention_precision=precision(raw, truth), kept_precision=precision(kept, truth),
                         filter=dict(margin=args.margin, top_k=args.top_k, min_images=args.min_images))
    num_entities = sum(1 for _ in open(osp.join(i2e_dir, 'entities.jsonl')))
    for name, weights in (('mofi_classification', dict(cls=1.0, con=0.0)),
                          ('mofi_contrastive', dict(cls=0.0, con=1.0)), ('mofi_multitask', dict(cls=1.0, con=1.0))):
        _, report[name] = run(MOFI_CONFIG, osp.join(args.work_dir, name), args.iters,
                              {'model.loss_weights': weights, 'model.num_entities': num_entities})
    report['cpu_s'], report['wall_s'] = time.process_time() - start[0], time.perf_counter() - start[1]
    with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=2, default=float)
    print(json.dumps(report, indent=2, default=float))


if __name__ == '__main__':
    main()
