"""DITO on the embedded demo data: does detector-shaped image-text pre-training help open-vocabulary detection of
classes never boxed in training, against image-level CLIP pre-training and random initialisation?

    OMP_NUM_THREADS=2 python tools/demo_dito.py [--work-dir work_dirs/dito_demo] [--data data/demo_shapes]
        [--pretrain-iters 150] [--finetune-iters 150]

1. pre-train on the 256 training images' captions (contrastive loss only), same tiny ViT, text encoder, batch,
   optimiser and length: DITO (configs/dito/dito-pretrain_vit-tiny_*: ViT -> pyramid -> FPN -> RoIAlign -> box
   head -> text space) and image-level CLIP (the same ViT's CLIP embedding, CLIPPretrainer);
2. fine-tune the open-vocabulary Faster R-CNN (configs/dito/dito-faster-rcnn_vit-tiny_*) on the boxes of the 4 base
   classes only ('yellow star' and 'dotted circle' removed from the training file) from DITO, from CLIP and from
   random initialisation; the frozen ViT of the fusion is the same initialisation's backbone (as released);
3. evaluate on the 64 validation images with all 6 class names: novel / base AP50 of the detector alone (fusion
   weights 0) and fused (w = 0.35 base / 0.65 novel); draw the DITO detector's novel-class detections.
Writes results.json, report.md and novel_detections.png into the work dir. CPU only, nothing downloaded; settings
fixed before measuring.
"""
import argparse
import copy
import json
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'plugins'))

import dense_align  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

PRETRAIN = osp.join(REPO, 'configs/dito/dito-pretrain_vit-tiny_fpn_1xb32-300it_demo-shapes-64x64.py')
DETECTOR = osp.join(REPO, 'configs/dito/dito-faster-rcnn_vit-tiny_fpn_1xb8-300it_demo-shapes-64x64.py')
NOVEL = ('yellow star', 'dotted circle')


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


def short_schedule(cfg: Config, iters: int, warmup: int) -> None:
    """Shorten the schedule to ``iters`` (same shape), evaluate and save only at the end."""
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.param_scheduler[0].end = warmup
    last = cfg.param_scheduler[1]
    if 'milestones' in last:
        last.milestones = [int(iters * 0.8), int(iters * 0.9)]
    else:
        last.begin = warmup
    last.end = iters


def pretrain(kind: str, data: str, work_dir: str, iters: int) -> str:
    """Pre-train DITO or image-level CLIP; return the checkpoint path."""
    cfg = Config.fromfile(PRETRAIN)
    if kind == 'clip':
        vit = dict(cfg.vit, pyramid=False, out_indices=(3, ), with_embeddings=True)
        cfg.model = dict(type='CLIPPretrainer', image_encoder=vit, text_encoder=cfg.model.text_encoder,
                         init_temperature=0.07, data_preprocessor=cfg.model.data_preprocessor)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = data + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    short_schedule(cfg, iters, max(1, iters // 10))
    cfg.work_dir = osp.join(work_dir, f'pretrain_{kind}')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return osp.join(cfg.work_dir, f'iter_{iters}.pth')


def detector_cfg(init: str, ckpt: str, data: str, ann: str, work_dir: str, iters: int) -> Config:
    """The OV detector config initialised from ``init`` ('dito', 'clip' or 'random')."""
    cfg = Config.fromfile(DETECTOR)
    model = cfg.model
    if init == 'dito':
        prefixes = dict(backbone='backbone.', neck='neck.', text='text_encoder.', head='bbox_head.')
    elif init == 'clip':
        prefixes = dict(backbone='image_encoder.', text='text_encoder.')
    else:
        prefixes = {}
    if 'backbone' in prefixes:
        pre = dict(type='Pretrained', checkpoint=ckpt, prefix=prefixes['backbone'])
        model.backbone.init_cfg = pre
        model.vlm.backbone.init_cfg = copy.deepcopy(pre)
        model.text_encoder.init_cfg = dict(type='Pretrained', checkpoint=ckpt, prefix=prefixes['text'])
    if 'neck' in prefixes:
        model.neck.init_cfg = dict(type='Pretrained', checkpoint=ckpt, prefix='neck.')
        model.roi_head.bbox_head.init_cfg = [dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                                             dict(type='Pretrained', checkpoint=ckpt, prefix='bbox_head.')]
    cfg.train_dataloader.dataset.ann_file = ann
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = osp.join(data, 'annotations/instances_val.json')
    short_schedule(cfg, iters, max(1, iters // 10))
    cfg.work_dir = osp.join(work_dir, f'finetune_{init}')
    return cfg


def evaluate(runner: Runner, fused: bool) -> dict:
    """Novel / base AP50 on the validation set, with or without the fusion."""
    head = runner.model.roi_head
    head.base_vlm_weight, head.novel_vlm_weight = (0.35, 0.65) if fused else (0.0, 0.0)
    metrics = runner.test()
    return {k.split('/')[-1]: round(float(v), 4) for k, v in metrics.items() if 'ap50' in k}


def draw(runner: Runner, data: str, path: str, count: int = 8) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/dito_demo')
    parser.add_argument('--data', default=osp.join(REPO, 'data/demo_shapes'))
    parser.add_argument('--pretrain-iters', type=int, default=150)
    parser.add_argument('--finetune-iters', type=int, default=150)
    args = parser.parse_args()
    data, work_dir = osp.abspath(args.data), osp.abspath(args.work_dir)
    import os
    os.makedirs(work_dir, exist_ok=True)
    start, cpu_start = time.time(), time.process_time()
    ann = base_only_annotations(data, work_dir)
    ckpts = {kind: pretrain(kind, data, work_dir, args.pretrain_iters) for kind in ('dito', 'clip')}
    ckpts['random'] = None
    results = {}
    for init in ('dito', 'clip', 'random'):
        runner = Runner.from_cfg(detector_cfg(init, ckpts[init], data, ann, work_dir, args.finetune_iters))
        runner.train()
        results[init] = dict(detector=evaluate(runner, False), fused=evaluate(runner, True))
        if init == 'dito':
            draw(runner, data, osp.join(work_dir, 'novel_detections.png'))
    wall, cpu = time.time() - start, time.process_time() - cpu_start
    summary = dict(results=results, pretrain_iters=args.pretrain_iters, finetune_iters=args.finetune_iters,
                   wall_s=round(wall, 1), process_cpu_s=round(cpu, 1), threads=torch.get_num_threads())
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    lines = ['| initialisation | novel AP50 (detector) | base AP50 (detector) | novel AP50 (fused) '
             '| base AP50 (fused) |',
             '| --- | --- | --- | --- | --- |']
    for init, res in results.items():
        d, u = res['detector'], res['fused']
        lines.append(f"| {init} | {d.get('novel_ap50')} | {d.get('base_ap50')} | {u.get('novel_ap50')} | "
                     f"{u.get('base_ap50')} |")
    lines.append(f'\nwall {wall:.0f} s, process CPU {cpu:.0f} s, {torch.get_num_threads()} threads')
    with open(osp.join(work_dir, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
