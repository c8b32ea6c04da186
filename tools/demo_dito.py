"""DITO on the embedded demo data: does detector-shaped image-text pre-training help open-vocabulary detection of
classes never boxed in training, against image-level CLIP pre-training and no image-text pre-training?

    OMP_NUM_THREADS=1 python tools/demo_dito.py [--work-dir work_dirs/dito_demo] [--data data/demo_shapes]
        [--pretrain-iters 150] [--finetune-iters 300] [--seeds 0 1] [--jobs 2]
        [--inits dito clip random] [--pairings image_box_mean]

One *unit* per (seed, initialisation[, pairing]), run as a separate process (``--jobs`` at a time, one thread each):
1. pre-train on the 256 training images' captions (contrastive loss only), same tiny ViT, text encoder, batch,
   optimiser, length and seed: DITO (configs/dito/dito-pretrain_vit-tiny_*: ViT -> pyramid -> FPN -> RoIAlign ->
   box head -> text space, with the given region/level ``pairing``) or image-level CLIP (the same ViT's CLIP
   embedding, CLIPPretrainer); 'random' skips this step. Retrieval on the 64 held-out validation images x 5
   captions is recorded (``ImageTextMetric``);
2. fine-tune the open-vocabulary Faster R-CNN (configs/dito/dito-faster-rcnn_vit-tiny_*) on the boxes of the 4 base
   classes only ('yellow star' and 'dotted circle' removed from the training file) from that initialisation; the
   frozen ViT of the fusion is the same initialisation's backbone (as released);
3. evaluate on the 64 validation images with all 6 class names: novel / base AP50 of the detector alone (fusion
   weights 0) and fused (w = 0.35 base / 0.65 novel); and base AP50 of the detector offered the 4 base names only
   (``base_ap50_base_vocab``: how well it learned the base classes, without novel names taking boxes).
The parent aggregates mean and range over seeds, writes results.json, report.md and (seed 0, DITO)
novel_detections.png into the work dir, and prints the total wall time. CPU only, nothing downloaded; settings
fixed before measuring. ``--inits dito --pairings image_box_per_level random_boxes_mean`` runs the pairing
comparison (configs/dito/README.md).
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN = osp.join(REPO, 'configs/dito/dito-pretrain_vit-tiny_fpn_1xb32-300it_demo-shapes-64x64.py')
DETECTOR = osp.join(REPO, 'configs/dito/dito-faster-rcnn_vit-tiny_fpn_1xb8-300it_demo-shapes-64x64.py')
NOVEL = ('yellow star', 'dotted circle')
METRICS = ('novel_ap50', 'base_ap50')


def base_only_annotations(data: str, out: str) -> str:
    """Write the training annotations without the novel classes' boxes (images left without boxes are dropped by
    the dataset's ``filter_empty_gt``); return the path."""
    with open(osp.join(data, 'annotations/instances_train.json')) as f:
        coco = json.load(f)
    novel_ids = {c['id'] for c in coco['categories'] if c['name'] in NOVEL}
    coco['annotations'] = [a for a in coco['annotations'] if a['category_id'] not in novel_ids]
    path = osp.join(out, 'instances_train_base.json')
    with open(path, 'w') as f:
        json.dump(coco, f)
    return path


def short_schedule(cfg, iters: int, warmup: int, seed: int) -> None:
    """Shorten the schedule to ``iters`` (same shape), save only at the end, no validation during training (the
    unit evaluates once with ``runner.test``), fixed seed."""
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.interval = iters
    cfg.param_scheduler[0].end = warmup
    last = cfg.param_scheduler[1]
    if 'milestones' in last:
        last.milestones = [int(iters * 0.8), int(iters * 0.9)]
    else:
        last.begin = warmup
    last.end = iters
    cfg.randomness = dict(seed=seed)


def pretrain(kind: str, pairing: str, data: str, work_dir: str, iters: int, seed: int):
    """Pre-train DITO (with ``pairing``) or image-level CLIP; return (checkpoint path, retrieval metrics)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(PRETRAIN)
    if kind == 'clip':
        vit = dict(cfg.vit, pyramid=False, out_indices=(3, ), with_embeddings=True)
        cfg.model = dict(type='CLIPPretrainer', image_encoder=vit, text_encoder=cfg.model.text_encoder,
                         init_temperature=0.07, data_preprocessor=cfg.model.data_preprocessor)
    else:
        cfg.model.pairing = pairing
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    short_schedule(cfg, iters, max(1, iters // 10), seed)
    cfg.work_dir = osp.join(work_dir, 'pretrain')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = {k.split('/')[-1]: round(float(v), 2) for k, v in runner.test().items() if 'R@' in k}
    return osp.join(cfg.work_dir, f'iter_{iters}.pth'), metrics


def detector_cfg(init: str, ckpt: Optional[str], data: str, ann: str, work_dir: str, iters: int, seed: int):
    """The OV detector config initialised from ``init`` ('dito', 'clip' or 'random')."""
    from mmengine.config import Config
    cfg = Config.fromfile(DETECTOR)
    model = cfg.model
    prefixes = dict(dito=dict(backbone='backbone.', text='text_encoder.'),
                    clip=dict(backbone='image_encoder.', text='text_encoder.')).get(init, {})
    if prefixes:
        pre = dict(type='Pretrained', checkpoint=ckpt, prefix=prefixes['backbone'])
        model.backbone.init_cfg = pre
        model.vlm.backbone.init_cfg = copy.deepcopy(pre)
        model.text_encoder.init_cfg = dict(type='Pretrained', checkpoint=ckpt, prefix=prefixes['text'])
    if init == 'dito':
        model.neck.init_cfg = dict(type='Pretrained', checkpoint=ckpt, prefix='neck.')
        model.roi_head.bbox_head.init_cfg = [dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                                             dict(type='Pretrained', checkpoint=ckpt, prefix='bbox_head.')]
    cfg.train_dataloader.dataset.ann_file = ann
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.test_evaluator.ann_file = osp.join(data, 'annotations/instances_val.json')
    short_schedule(cfg, iters, max(1, iters // 10), seed)
    cfg.work_dir = osp.join(work_dir, 'finetune')
    return cfg


def evaluate(runner, fused: bool) -> Dict[str, float]:
    """Novel / base AP50 on the validation set, with or without the fusion."""
    head = runner.model.roi_head
    head.base_vlm_weight, head.novel_vlm_weight = (0.35, 0.65) if fused else (0.0, 0.0)
    metrics = runner.test()
    return {k.split('/')[-1]: round(float(v), 4) for k, v in metrics.items() if k.split('/')[-1] in METRICS}


def evaluate_base_vocabulary(runner) -> float:
    """Base AP50 of the detector alone when it is offered the base names only (no novel name can take a box): how
    well it learned the base classes, apart from the open-vocabulary confusion with the novel names."""
    import torch
    model = runner.model
    orig, head = model.predict, model.roi_head
    head.base_vlm_weight = head.novel_vlm_weight = 0.0

    def predict(batch_inputs, batch_data_samples, rescale: bool = True):
        names, mask = list(model.class_names), model.novel_mask.clone()
        base_index = torch.nonzero(~mask).flatten()
        model.set_vocabulary(model.base_names, ())
        try:
            results = orig(batch_inputs, batch_data_samples, rescale=rescale)
        finally:
            model.set_vocabulary(names, [n for n, m in zip(names, mask.tolist()) if m])
        for res in results:  # base-name indices -> indices into all classes, as the metric reads them
            res.pred_instances.labels = base_index.to(res.pred_instances.labels.device)[res.pred_instances.labels]
        return results

    model.predict = predict
    try:
        return round(float(runner.test()['coco/base_ap50']), 4)
    finally:
        del model.predict


def draw(runner, data: str, path: str, count: int = 8) -> None:
    """Draw the novel-class detections (score > 0.3) on the first validation images that contain novel objects."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmdet.apis import inference_detector
    with open(osp.join(data, 'annotations/instances_val.json')) as f:
        coco = json.load(f)
    names = [c['name'] for c in coco['categories']]
    novel_ids = {c['id'] for c in coco['categories'] if c['name'] in NOVEL}
    with_novel = sorted({a['image_id'] for a in coco['annotations'] if a['category_id'] in novel_ids})[:count]
    files = {im['id']: im['file_name'] for im in coco['images']}
    model = runner.model.eval()
    model.cfg = runner.cfg
    fig, axes = plt.subplots(2, count // 2, figsize=(2.5 * count // 2, 5.4))
    for ax, image_id in zip(axes.flat, with_novel):
        img = osp.join(data, 'images/val', files[image_id])
        pred = inference_detector(model, img).pred_instances
        ax.imshow(plt.imread(img))
        for box, label, score in zip(pred.bboxes.tolist(), pred.labels.tolist(), pred.scores.tolist()):
            if names[label] in NOVEL and score > 0.3:
                x1, y1, x2, y2 = box
                ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color='white', lw=1.5))
                ax.text(x1, y1, f'{names[label]} {score:.2f}', color='white', fontsize=6,
                        bbox=dict(facecolor='black', alpha=0.6, pad=1))
        ax.axis('off')
    fig.suptitle('DITO-initialised detector: novel classes (never boxed in training), score > 0.3')
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def run_unit(args: argparse.Namespace) -> None:
    """One (seed, init, pairing) unit in this process; writes ``unit.json`` into its directory."""
    sys.path.insert(0, osp.join(REPO, 'plugins'))
    import dense_align  # noqa: F401
    from mmengine.runner import Runner
    start, cpu_start = time.time(), time.process_time()
    unit_dir = osp.dirname(args.out)
    ckpt, retrieval = None, {}
    if args.init != 'random':
        ckpt, retrieval = pretrain(args.init, args.pairing, args.data, unit_dir, args.pretrain_iters, args.seed)
    result = dict(seed=args.seed, init=args.init, pairing=args.pairing if args.init == 'dito' else None,
                  retrieval=retrieval, detector={}, fused={})
    if args.finetune_iters > 0:  # 0: pre-training and retrieval only (the pairing comparison's cheap form)
        runner = Runner.from_cfg(detector_cfg(args.init, ckpt, args.data, args.ann, unit_dir, args.finetune_iters,
                                              args.seed))
        runner.train()
        result.update(detector=evaluate(runner, False), fused=evaluate(runner, True))
        result['detector']['base_ap50_base_vocab'] = evaluate_base_vocabulary(runner)
        if args.draw:
            draw(runner, args.data, osp.join(osp.dirname(unit_dir), 'novel_detections.png'))
    result['wall_s'] = round(time.time() - start, 1)
    result['cpu_s'] = round(time.process_time() - cpu_start, 1)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)


def run_units(units: List[dict], args: argparse.Namespace, ann: str) -> List[dict]:
    """Run the units as subprocesses, ``args.jobs`` at a time (longest first); return their results."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cost = dict(dito=3, clip=2, random=1)
    pending = sorted(units, key=lambda u: -cost[u['init']])
    running: List[tuple] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            unit = pending.pop(0)
            os.makedirs(unit['dir'], exist_ok=True)
            cmd = [sys.executable, osp.abspath(__file__), '--unit', '--init', unit['init'], '--pairing',
                   unit['pairing'], '--seed', str(unit['seed']), '--out', osp.join(unit['dir'], 'unit.json'),
                   '--data', args.data, '--ann', ann, '--pretrain-iters', str(args.pretrain_iters),
                   '--finetune-iters', str(args.finetune_iters)] + (['--draw'] if unit.get('draw') else [])
            log = open(osp.join(unit['dir'], 'log.txt'), 'w')
            running.append((unit, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log))
            print(f"started {unit['name']}", flush=True)
        time.sleep(2)
        for item in list(running):
            unit, proc, log = item
            if proc.poll() is not None:
                log.close()
                running.remove(item)
                if proc.returncode:
                    raise RuntimeError(f"unit {unit['name']} failed (exit {proc.returncode}); see "
                                       f"{osp.join(unit['dir'], 'log.txt')}")
                print(f"finished {unit['name']}", flush=True)
    results = []
    for unit in units:
        with open(osp.join(unit['dir'], 'unit.json')) as f:
            results.append(json.load(f))
    return results


def summarise(results: List[dict]) -> Dict[str, dict]:
    """Mean, min and max over seeds of every metric, per (init, pairing) row."""
    rows: Dict[str, dict] = {}
    for res in results:
        name = res['init'] if res['init'] != 'dito' else f"dito ({res['pairing']})"
        values = rows.setdefault(name, {})
        flat = {f'{k} (detector)': v for k, v in res['detector'].items()}
        flat.update({f'{k} (fused)': v for k, v in res['fused'].items()})
        flat.update(res['retrieval'])
        for key, value in flat.items():
            values.setdefault(key, []).append(value)
    return {name: {key: dict(mean=statistics.mean(v), min=min(v), max=max(v), values=v) for key, v in values.items()}
            for name, values in rows.items()}


def report(summary: Dict[str, dict], scale: float = 100.0) -> str:
    """Markdown table: mean [min, max] over seeds, AP50 in percent."""
    cols = [f'{m} ({w})' for w in ('detector', 'fused') for m in METRICS] + ['i2t_R@1', 't2i_R@1',
                                                                           'base_ap50_base_vocab (detector)']
    lines = ['| initialisation | ' + ' | '.join(cols) + ' |', '| --- ' * (len(cols) + 1) + '|']
    for name, values in summary.items():
        cells = []
        for col in cols:
            if col not in values:
                cells.append('-')
                continue
            f = scale if 'ap50' in col else 1.0
            v = values[col]
            cells.append(f"{v['mean'] * f:.1f} [{v['min'] * f:.1f}, {v['max'] * f:.1f}]")
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/dito_demo')
    parser.add_argument('--data', default=osp.join(REPO, 'data/demo_shapes'))
    parser.add_argument('--pretrain-iters', type=int, default=150)
    parser.add_argument('--finetune-iters', type=int, default=300,
                        help='0: pre-train and measure retrieval only')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--jobs', type=int, default=2, help='units run in parallel, one thread each')
    parser.add_argument('--inits', nargs='+', default=['dito', 'clip', 'random'], choices=['dito', 'clip', 'random'])
    parser.add_argument('--pairings', nargs='+', default=['image_box_mean'],
                        help='DITO region/level pairings (one DITO unit per pairing and seed)')
    parser.add_argument('--unit', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--init', help=argparse.SUPPRESS)
    parser.add_argument('--pairing', help=argparse.SUPPRESS)
    parser.add_argument('--seed', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    parser.add_argument('--ann', help=argparse.SUPPRESS)
    parser.add_argument('--draw', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.unit:
        run_unit(args)
        return
    start = time.time()
    args.data, work_dir = osp.abspath(args.data), osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    ann = base_only_annotations(args.data, work_dir)
    units = []
    for seed in args.seeds:
        for init in args.inits:
            for pairing in (args.pairings if init == 'dito' else ['-']):
                name = f'seed{seed}_{init}' + (f'_{pairing}' if init == 'dito' else '')
                units.append(dict(name=name, init=init, pairing=pairing, seed=seed, dir=osp.join(work_dir, name),
                                  draw=init == 'dito' and seed == args.seeds[0] and pairing == args.pairings[0]))
    results = run_units(units, args, ann)
    wall = time.time() - start
    cpu = sum(r['cpu_s'] for r in results)
    summary = summarise(results)
    table = report(summary)
    footer = (f'\n{len(args.seeds)} seeds {args.seeds}, pretrain {args.pretrain_iters} / finetune '
              f'{args.finetune_iters} iterations, {args.jobs} parallel units x 1 thread; AP50 in %, mean [min, max] '
              f'over seeds; total wall time {wall:.0f} s ({wall / 60:.1f} min); process CPU of the units {cpu:.0f} s')
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(units=results, summary=summary, pretrain_iters=args.pretrain_iters,
                       finetune_iters=args.finetune_iters, seeds=args.seeds, jobs=args.jobs,
                       wall_s=round(wall, 1), cpu_s=round(cpu, 1)), f, indent=2)
    with open(osp.join(work_dir, 'report.md'), 'w') as f:
        f.write(table + '\n' + footer + '\n')
    print(table + footer)


if __name__ == '__main__':
    main()
