"""Pictures and the markdown report of tools/demo.py."""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from dense_align.datasets import SEG_CLASSES, SEG_PALETTE

TILE = 128


def load_segmentor(config: str, checkpoint: str) -> torch.nn.Module:
    """Build a segmentor from its config and load a checkpoint (safe loader), in eval mode."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    cfg.model.text_encoder.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.eval()


@torch.no_grad()
def predict(model: torch.nn.Module, rgb: np.ndarray) -> Tuple[np.ndarray, torch.Tensor]:
    """(H, W) predicted labels and (K, H, W) pixel-text scores of one RGB image."""
    from mmseg.structures import SegDataSample
    h, w = rgb.shape[:2]
    sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    data = model.data_preprocessor(dict(inputs=[torch.from_numpy(rgb[..., ::-1].transpose(2, 0, 1).copy())],
                                        data_samples=[sample]), False)
    pred = model.predict(data['inputs'], data['data_samples'])[0].pred_sem_seg.data[0].numpy()
    _, scores = model.language_guided_features(data['inputs'])
    scores = F.interpolate(scores, size=(h, w), mode='bilinear', align_corners=False)[0]
    return pred, scores


def _tile(array: np.ndarray, title: str) -> Image.Image:
    image = Image.fromarray(array.astype(np.uint8)).resize((TILE, TILE), Image.NEAREST)
    canvas = Image.new('RGB', (TILE, TILE + 14), 'white')
    canvas.paste(image, (0, 14))
    ImageDraw.Draw(canvas).text((2, 1), title[:21], fill='black')
    return canvas


def _overlay(rgb: np.ndarray, score: torch.Tensor, low: float, high: float) -> np.ndarray:
    """Red overlay of one class's scores, scaled by the range of all classes' scores on this image."""
    alpha = np.clip((score.numpy() - low) / max(high - low, 1e-6), 0, 1)[..., None] * 0.7
    return rgb * (1 - alpha) + np.array([255, 40, 0]) * alpha


def draw_grid(models: Dict[str, torch.nn.Module], data: str, out: str, count: int = 6) -> None:
    """Rows of: image, ground truth, each model's prediction, the first model's score map per object class."""
    palette = np.array(SEG_PALETTE, np.uint8)
    first = next(iter(models))
    rows: List[Image.Image] = []
    for index in range(count):
        name = f'{index:06d}.png'
        rgb = np.array(Image.open(osp.join(data, 'images/val', name)).convert('RGB'))
        gt = np.array(Image.open(osp.join(data, 'seg_masks/val', name)))
        tiles = [_tile(rgb, 'image'), _tile(palette[gt], 'ground truth')]
        scores = None
        for label, model in models.items():
            pred, s = predict(model, rgb)
            tiles.append(_tile(palette[pred], label))
            scores = s if label == first else scores
        low, high = scores[1:].min().item(), scores[1:].max().item()
        for k in range(1, len(SEG_CLASSES)):
            tiles.append(_tile(_overlay(rgb, scores[k], low, high), f'score: {SEG_CLASSES[k]}'))
        row = Image.new('RGB', (TILE * len(tiles), TILE + 14), 'white')
        for i, tile in enumerate(tiles):
            row.paste(tile, (i * TILE, 0))
        rows.append(row)
    grid = Image.new('RGB', (rows[0].width, sum(r.height for r in rows)), 'white')
    for i, row in enumerate(rows):
        grid.paste(row, (0, i * row.height))
    grid.save(out)


def write_report(work: str, data: str, clip_metrics: dict, seg_metrics: Dict[str, List[dict]],
                 det_metrics: Dict[str, List[dict]], runs: Dict[str, Tuple[str, str]], settings: dict,
                 seconds: float) -> None:
    """Write ``report.md`` and ``predictions.png`` into ``work``.

    Args:
        work: the demo's work dir.
        data: the demo data folder.
        clip_metrics: final validation record of the CLIP pre-training.
        seg_metrics: validation records of each segmentation run, by name, in training order.
        det_metrics: the same for each detection run.
        runs: ``name -> (config, checkpoint)`` of each segmentation run (first: the pre-trained one).
        settings: the demo's command-line settings.
        seconds: total time so far.
    """
    models = {name: load_segmentor(config, checkpoint) for name, (config, checkpoint) in runs.items()}
    draw_grid(models, data, osp.join(work, 'predictions.png'), count=min(6, settings['num_val']))
    lines = [
        '# Demo: contrastive pre-training -> DenseCLIP segmentation and detection', '',
        f'Embedded demo data ({data}); total time {seconds / 60:.1f} min.', '',
        f'## 1. Tiny CLIP pre-trained on {settings["num_train"]} image-caption pairs '
        f'({settings["pretrain_iters"]} iterations)', '',
        '| zero-shot top-1 | i2t R@1 | t2i R@1 | i2t R@10 | t2i R@10 |', '| --- | --- | --- | --- | --- |',
        '| {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |'.format(
            clip_metrics['zero_shot/top1'],
            *(clip_metrics[f'imagetext/{k}'] for k in ('i2t_R@1', 't2i_R@1', 'i2t_R@10', 't2i_R@10'))), '',
        f'## 2. DenseCLIP fine-tuned on {min(64, settings["num_train"])} labelled images '
        f'({settings["finetune_iters"]} iterations), {settings["num_val"]} validation images', '',
        'Validation mIoU during fine-tuning (same recipe for both: the paper\'s, backbone lr x0.1, text encoder '
        'frozen):', '',
        '| iteration | ' + ' | '.join(seg_metrics) + ' |', '| --- |' + ' --- |' * len(seg_metrics)]
    names = list(seg_metrics)
    seg_interval = max(1, settings['finetune_iters'] // 5)  # tools/demo.py validates at these intervals
    for i, records in enumerate(zip(*(seg_metrics[n] for n in names))):
        lines.append(f'| {(i + 1) * seg_interval} | ' + ' | '.join(f'{r["mIoU"]:.1f}' for r in records) + ' |')
    final = {name: records[-1] for name, records in seg_metrics.items()}
    lines += ['', '| initialisation | mIoU | mAcc | aAcc |', '| --- | --- | --- | --- |']
    for name, metrics in final.items():
        lines.append(f'| {name} | {metrics["mIoU"]:.1f} | {metrics["mAcc"]:.1f} | {metrics["aAcc"]:.1f} |')
    gain = final['pre-trained CLIP']['mIoU'] - final['random init']['mIoU']
    lines += ['', f'Pre-training {"gains" if gain > 0 else "loses"} {abs(gain):.1f} mIoU over random initialisation '
              f'after {settings["finetune_iters"]} iterations.',
              '', f'## 3. DenseCLIP RetinaNet fine-tuned on {min(64, settings["num_train"])} labelled images '
              f'({settings["det_iters"]} iterations), COCO box AP on {settings["num_val"]} validation images', '',
              '| iteration | ' + ' | '.join(f'{n} AP / AP50' for n in det_metrics) + ' |',
              '| --- |' + ' --- |' * len(det_metrics)]
    det_interval = max(1, settings['det_iters'] // 3)
    for i, records in enumerate(zip(*det_metrics.values())):
        lines.append(f'| {(i + 1) * det_interval} | ' + ' | '.join(
            f'{100 * r["coco/bbox_mAP"]:.1f} / {100 * r["coco/bbox_mAP_50"]:.1f}' for r in records) + ' |')
    det_final = {name: records[-1]['coco/bbox_mAP'] for name, records in det_metrics.items()}
    det_gain = 100 * (det_final['pre-trained CLIP'] - det_final['random init'])
    lines += ['', f'Pre-training {"gains" if det_gain > 0 else "loses"} {abs(det_gain):.1f} box AP over random '
              f'initialisation after {settings["det_iters"]} iterations.',
              '', '## 4. Pictures', '',
              'Columns: image, ground truth, prediction of each model, then the pre-trained model\'s pixel-text '
              'score map of each object class (red = high cosine score, one colour scale for all classes of an '
              'image).', '', '![predictions](predictions.png)', '']
    with open(osp.join(work, 'report.md'), 'w') as f:
        f.write('\n'.join(lines))
