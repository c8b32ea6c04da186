"""Params, FLOPs and training-step time of DenseCLIP against the plain CLIP + Semantic FPN baseline, as ratios.

    python tools/analysis/denseclip_complexity.py [--size 1024] [--train-size 256] [--reps 3]
    python tools/analysis/denseclip_complexity.py --tiny          # the demo configs, a smoke run

Params are counted without the text encoder (its class embeddings are computed once and cached at inference, and
it is frozen in training, as in the paper's table); FLOPs (mmengine's counter, one multiply-add = one FLOP, as
fvcore) are for inference at ``--size`` with the text embeddings cached. Paper (RN50, 1024x1024): DenseCLIP 269.2
vs 248.8 GFLOPs, 50.3 M vs 31.0 M params.
"""
import argparse
import os.path as osp
import sys
import time
from typing import Tuple

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'plugins'))

import dense_align  # noqa: E402,F401

PAIRS = {
    False: ('configs/denseclip/denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py',
            'configs/denseclip/fpn_clip-rn50_8xb4-80k_ade20k-512x512.py'),
    True: ('configs/denseclip/denseclip_rn-tiny_fpn_1xb8-500it_demo-shapes-64x64.py',
           'configs/baselines/semfpn_r18-w16_fpn_1xb8-1600it_demo-shapes-64x64.py'),
}


def build(config: str) -> torch.nn.Module:
    """Build a segmentor from a config, without loading checkpoints, with BatchNorm instead of SyncBN."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, config))
    text = cfg.model.pop('text_encoder', None)
    if text is not None:
        text.init_cfg = None
        cfg.model.text_encoder = text
    cfg.model.backbone.init_cfg = None
    cfg.model.pop('pretrained', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    from mmengine.model import revert_sync_batchnorm
    return revert_sync_batchnorm(model)


def params_without_text(model: torch.nn.Module) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if not n.startswith('text_encoder.'))


def flops(model: torch.nn.Module, size: int) -> float:
    """Inference FLOPs at size x size with cached text embeddings."""
    from mmengine.analysis import FlopAnalyzer
    model.eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        model(x, mode='tensor')  # fills the text-embedding cache
        return FlopAnalyzer(model, (x, )).unsupported_ops_warnings(False).uncalled_modules_warnings(False).total()


def step_time(model: torch.nn.Module, size: int, reps: int) -> float:
    """Median seconds of one training step (forward + backward) on 2 images of size x size."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model.train()
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, model.decode_head.num_classes, (1, size, size)))
        samples.append(s)
    x = torch.randn(2, 3, size, size)
    times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        losses = model.loss(x, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[reps // 2]


def main() -> Tuple[dict, dict]:
    """Print the comparison and return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=1024, help='inference size for FLOPs')
    parser.add_argument('--train-size', type=int, default=256, help='image size of the timed training steps')
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--tiny', action='store_true', help='compare the demo configs (smoke run)')
    args = parser.parse_args()
    if args.tiny:
        args.size = args.train_size = 64
    results = {}
    for name, config in zip(('DenseCLIP', 'baseline'), PAIRS[args.tiny]):
        torch.manual_seed(0)
        model = build(config)
        results[name] = dict(params=params_without_text(model) / 1e6, gflops=flops(model, args.size) / 1e9,
                             step=step_time(model, args.train_size, args.reps))
        print(f'{name:10s} {config}', flush=True)
    d, b = results['DenseCLIP'], results['baseline']
    print(f'\n{"":10s} {"params (M)":>11s} {"GFLOPs@" + str(args.size):>13s} {"step s@" + str(args.train_size):>12s}')
    for name, r in results.items():
        print(f'{name:10s} {r["params"]:11.2f} {r["gflops"]:13.2f} {r["step"]:12.3f}')
    print(f'{"ratio":10s} {d["params"] / b["params"]:11.3f} {d["gflops"] / b["gflops"]:13.3f} '
          f'{d["step"] / b["step"]:12.3f}')
    if not args.tiny:
        print(f'paper ratio {50.3 / 31.0:8.3f} {269.2 / 248.8:13.3f}')
    return d, b


if __name__ == '__main__':
    main()
