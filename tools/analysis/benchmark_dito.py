"""Cost of DITO's attention layouts in the CLIP ViT: global attention in every block, windowed attention (global in
four blocks, ViTDet) in a single pass, and windowed with DITO's extra shifted pass, at 640 and 1024 px.

    OMP_NUM_THREADS=2 python tools/analysis/benchmark_dito.py [--arch ViT-B/16] [--sizes 640 1024] [--reps 2]
        [--window 16] [--train]

Each (size, layout) runs in a fresh subprocess: build the backbone, record the resident set size, run one warm-up and
``--reps`` timed passes (inference under ``no_grad``, or forward + backward with ``--train``), and report the median
time and the peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) above the size after building,
i.e. the activations' peak. Prints a markdown table with ratios to global attention. CPU only.
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LAYOUTS = ('global', 'window', 'shifted')


def layout_kwargs(layout: str, layers: int, window: int) -> dict:
    """CLIPViT arguments of a layout: global attention in every fourth block when windows are on (ViTDet)."""
    if layout == 'global':
        return dict(window_size=0)
    glob = tuple(range(layers // 4 - 1, layers, layers // 4))
    return dict(window_size=window, global_attn_indexes=glob, shifted_pass=layout == 'shifted')


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args: argparse.Namespace) -> None:
    """Measure one case and print it as JSON."""
    sys.path.insert(0, osp.join(REPO, 'plugins'))
    import torch
    from dense_align.clip.vit import CLIP_VIT_ARCHS, CLIPViT
    torch.manual_seed(0)
    layers = CLIP_VIT_ARCHS[args.arch]['layers']
    model = CLIPViT(args.arch, out_indices=(layers - 1, ), **layout_kwargs(args.layout, layers, args.window))
    model.train(args.train)
    x = torch.randn(1, 3, args.size, args.size)
    built = max_rss_mb()
    times: List[float] = []
    for rep in range(args.reps + 1):
        start = time.perf_counter()
        if args.train:
            model(x)[0].mean().backward()
        else:
            with torch.no_grad():
                model(x)
        if rep:
            times.append(time.perf_counter() - start)
    print(json.dumps(dict(time_s=statistics.median(times), peak_extra_mb=max_rss_mb() - built)))


def run_case(args: argparse.Namespace, size: int, layout: str) -> Dict[str, float]:
    """Run one case in a fresh interpreter."""
    cmd = [sys.executable, osp.abspath(__file__), '--worker', '--arch', args.arch, '--size', str(size),
           '--layout', layout, '--reps', str(args.reps), '--window', str(args.window)] + (['--train'] if args.train
                                                                                            else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='ViT-B/16')
    parser.add_argument('--sizes', type=int, nargs='+', default=[640, 1024])
    parser.add_argument('--reps', type=int, default=2)
    parser.add_argument('--window', type=int, default=16, help='window side in patches (DITO: 16 at 1024 px)')
    parser.add_argument('--train', action='store_true', help='forward + backward instead of inference')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--size', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--layout', choices=LAYOUTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    rows = ['| size | layout | time (s) | time / global | peak extra RSS (MiB) | memory / global |',
            '| --- | --- | --- | --- | --- | --- |']
    for size in args.sizes:
        results = {layout: run_case(args, size, layout) for layout in LAYOUTS}
        base = results['global']
        for layout, res in results.items():
            rows.append(f"| {size} | {layout} | {res['time_s']:.2f} | {res['time_s'] / base['time_s']:.2f} | "
                        f"{res['peak_extra_mb']:.0f} | {res['peak_extra_mb'] / max(base['peak_extra_mb'], 1e-6):.2f} |")
    print(f'{args.arch}, batch 1, {"forward + backward" if args.train else "inference"}, window {args.window}, '
          f'median of {args.reps}')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
