"""The main job on the embedded data: contrastive pre-training -> dense prediction, against random initialisation.

    python tools/demo.py [--work-dir work_dirs/demo] [--data data/demo_shapes] [--force]
                         [--pretrain-iters 600] [--finetune-iters 500] [--det-iters 300] [--num-train 256 --num-val 64]

1. generate the demo data (tools/data/generate_demo_shapes.py);
2. pre-train a tiny CLIP on its image-caption pairs (configs/imagetext/...);
3. fine-tune DenseCLIP for segmentation and DenseCLIP RetinaNet for detection on 64 labelled images, each from that
   CLIP and from random initialisation;
4. evaluate them (mIoU; COCO box AP on the validation images) and write ``report.md`` with pictures: predictions and
   per-class score maps overlaid on the images.
Finished steps are reused on a second run unless ``--force``.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'plugins'))
PRETRAIN_CONFIG = osp.join(REPO, 'configs/imagetext/clip_rn-tiny_1xb128-600it_demo-shapes-64x64.py')
DENSECLIP_CONFIG = osp.join(REPO, 'configs/denseclip/denseclip_rn-tiny_fpn_1xb8-500it_demo-shapes-64x64.py')
DETECTOR_CONFIG = osp.join(REPO, 'configs/denseclip/denseclip-retinanet_rn-tiny_fpn_1xb8-300it_demo-shapes-64x64.py')


def step(title: str) -> None:
    print(f'\n=== {time.strftime("%H:%M:%S")} {title}', flush=True)


def train(config: str, work_dir: str, data: str, force: bool, iters: int, schedule_end_key: Optional[str],
          val_interval: int = 0, extra_options: Sequence[str] = ()) -> str:
    """Run tools/train.py for ``iters`` iterations (validating every ``val_interval`` iterations, or at the end,
    and saving at the end) unless its final checkpoint exists (and not ``force``).

    Returns:
        The final checkpoint path.
    """
    final = osp.join(work_dir, f'iter_{iters}.pth')
    if not force and osp.isfile(final):
        print(f'{final} exists; reusing it (--force retrains)')
        return final
    options = [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={val_interval or iters}',
               f'default_hooks.checkpoint.interval={iters}']
    if schedule_end_key and iters > 50:  # warm-ups take up to 50 iterations; smoke runs keep the schedule as it is
        options.append(f'{schedule_end_key}={iters}')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.append(f'{loader}.dataset.data_root={data}/')
    options += list(extra_options)
    subprocess.run([sys.executable, osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir,
                    '--cfg-options'] + options, check=True)
    return final


def validation_records(work_dir: str, key: str) -> List[Dict[str, float]]:
    """The validation records holding ``key`` in the newest run of ``work_dir``, in training order."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    lines = open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')).read().splitlines()
    return [json.loads(line) for line in lines if key in line]


def pretrained_config(work_dir: str, base: str, checkpoint: str) -> str:
    """A config inheriting ``base``, with the image and text encoders initialised from the pre-trained CLIP."""
    path = osp.join(work_dir, osp.basename(base).replace('.py', '_from-clip.py'))
    with open(path, 'w') as f:
        f.write(f"_base_ = ['{base}']\n"
                f"model = dict(\n"
                f"    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='{checkpoint}', "
                f"prefix='image_encoder.')),\n"
                f"    text_encoder=dict(init_cfg=dict(type='Pretrained', checkpoint='{checkpoint}', "
                f"prefix='text_encoder.')))\n")
    return path


def main() -> None:
    """Run the four steps and write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data', default='data/demo_shapes')
    parser.add_argument('--force', action='store_true', help='redo finished steps')
    parser.add_argument('--pretrain-iters', type=int, default=600)
    parser.add_argument('--finetune-iters', type=int, default=500, help='segmentation fine-tuning iterations')
    parser.add_argument('--det-iters', type=int, default=300,
                        help='detection fine-tuning iterations (the learning-rate steps stay at 220/280)')
    parser.add_argument('--num-train', type=int, default=256, help='demo images for pre-training')
    parser.add_argument('--num-val', type=int, default=64)
    args = parser.parse_args()
    work, data = osp.abspath(args.work_dir), osp.abspath(args.data)
    os.makedirs(work, exist_ok=True)
    start = time.time()

    step('1/4 demo data')
    subprocess.run([sys.executable, osp.join(REPO, 'tools/data/generate_demo_shapes.py'), '--out', data,
                    '--num-train', str(args.num_train), '--num-val', str(args.num_val)], check=True)

    step('2/4 contrastive pre-training of a tiny CLIP on the captions')
    pretrain_dir = osp.join(work, 'clip_pretrain')
    clip_checkpoint = train(PRETRAIN_CONFIG, pretrain_dir, data, args.force, args.pretrain_iters,
                            'param_scheduler.1.end')
    clip_metrics = validation_records(pretrain_dir, 'zero_shot/top1')[-1]

    step('3/4 DenseCLIP fine-tuning on 64 labelled images: from the pre-trained CLIP, and from random init')
    runs = {'pre-trained CLIP': (pretrained_config(work, DENSECLIP_CONFIG, clip_checkpoint),
                                 osp.join(work, 'denseclip_from_clip')),
            'random init': (DENSECLIP_CONFIG, osp.join(work, 'denseclip_random'))}
    interval = max(1, args.finetune_iters // 5)
    checkpoints = {name: train(config, run_dir, data, args.force, args.finetune_iters, 'param_scheduler.0.end',
                               interval) for name, (config, run_dir) in runs.items()}
    det_runs = {'pre-trained CLIP': (pretrained_config(work, DETECTOR_CONFIG, clip_checkpoint),
                                     osp.join(work, 'retinanet_from_clip')),
                'random init': (DETECTOR_CONFIG, osp.join(work, 'retinanet_random'))}
    ann = osp.join(data, 'annotations/instances_val.json')
    det_options = [f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}', 'model.test_cfg.score_thr=0.01']
    for config, run_dir in det_runs.values():
        train(config, run_dir, data, args.force, args.det_iters, None, max(1, args.det_iters // 3), det_options)

    step('4/4 evaluation, pictures and report')
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from demo_report import write_report  # noqa: E402
    seg_metrics = {name: validation_records(run_dir, 'mIoU') for name, (_, run_dir) in runs.items()}
    det_metrics = {name: validation_records(run_dir, 'coco/bbox_mAP') for name, (_, run_dir) in det_runs.items()}
    models = {name: (runs[name][0], checkpoints[name]) for name in runs}
    write_report(work, data, clip_metrics, seg_metrics, det_metrics, models, vars(args), time.time() - start)
    print(f'\nreport: {osp.join(work, "report.md")}')


if __name__ == '__main__':
    main()
