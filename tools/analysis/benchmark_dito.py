"""Cost of DITO's attention layouts in the CLIP ViT: global attention in every block, windowed attention (global in
four blocks, ViTDet) in a single pass, and windowed with DITO's extra shifted pass, at 640 and 1024 px; and, with
``--fusion CONFIG``, the test-time cost of the detection-score fusion (the frozen ViT pass, its RoIAlign scores and
the geometric ensemble) over the plain detector.

    OMP_NUM_THREADS=2 python tools/analysis/benchmark_dito.py [--arch ViT-B/16] [--sizes 640 1024] [--reps 2]
        [--window 16] [--train]
    OMP_NUM_THREADS=2 python tools/analysis/benchmark_dito.py --fusion CONFIG [--sizes 640] [--reps 3]

Each (size, layout) runs in a fresh subprocess: build the backbone, record the resident set size, run one warm-up and
``--reps`` timed passes (inference under ``no_grad``, or forward + backward with ``--train``), and report the median
time and the peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) above the size after building,
i.e. the activations' peak. Prints a markdown table with ratios to global attention. CPU only.

``--fusion``: one process builds the config's ``DITOFasterRCNN`` (random weights: cost does not depend on them)
with its dataset's class names, and predicts one random image per size with the fusion on and off, alternating
(plain, fused, fused, plain, ...) after one warm-up of each, so that both see the same machine state. Time: median
per mode. Memory: the resident set size is sampled every millisecond by a thread while a prediction runs; the peak
minus the size just before it (after ``malloc_trim`` hands freed heap back to the OS) is that prediction's peak
extra memory; median per mode. Prints a markdown table with fused / plain ratios.
"""
import argparse
import ctypes
import os
import threading
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LAYOUTS = ('global', 'window', 'shifted')
PAGE_MB = os.sysconf('SC_PAGE_SIZE') / 2**20


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


def rss_mb() -> float:
    """Current resident set size of this process in MiB (``/proc/self/statm``)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE_MB


def peak_extra(fn: Callable[[], object], interval: float = 1e-3) -> Tuple[float, float]:
    """Run ``fn`` while a thread samples the resident set size.

    Args:
        fn: the call to measure.
        interval: sampling period in seconds.

    Returns:
        (wall time in s, peak RSS during the call minus the RSS before it, in MiB).
    """
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)  # return freed heap, so the baseline is what is really held
    except OSError:
        pass
    before = peak = rss_mb()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb())
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    done.set()
    thread.join()
    return elapsed, max(peak, rss_mb()) - before


def fusion_detector(config: str):
    """Build the config's DITO detector (random weights, eval mode) with its test set's class names."""
    sys.path.insert(0, osp.join(REPO, 'plugins'))
    import dense_align  # noqa: F401
    from mmengine.config import Config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    meta = cfg.test_dataloader.dataset.get('metainfo') or cfg.get('metainfo')
    if not meta or 'classes' not in meta:
        raise KeyError(f'{config}: test_dataloader.dataset.metainfo (or metainfo) needs "classes"')
    model_cfg = dict(cfg.model, class_names=tuple(meta['classes']),
                     novel_classes=tuple(meta.get('novel_classes', ())))
    if model_cfg.get('vlm') is None:
        raise KeyError(f'{config}: model.vlm is not set; there is no fusion to measure')
    return MODELS.build(model_cfg).eval()


def fusion_worker(args: argparse.Namespace) -> List[dict]:
    """Plain vs fused prediction of one image per size, alternating in this process; one row per size."""
    import torch
    from mmdet.structures import DetDataSample
    torch.manual_seed(0)
    model = fusion_detector(args.fusion)
    vlm = model.vlm
    rows = []
    for size in args.sizes:
        meta = dict(img_shape=(size, size), ori_shape=(size, size), scale_factor=(1.0, 1.0))
        data = model.data_preprocessor(dict(inputs=[(torch.rand(3, size, size) * 255).byte()],
                                            data_samples=[DetDataSample(metainfo=meta)]), False)

        def predict(fused: bool) -> None:
            model.vlm = vlm if fused else None
            with torch.no_grad():
                model.predict(data['inputs'], data['data_samples'])

        predict(False)
        predict(True)  # warm-up of both paths (caches the class embeddings)
        times: Dict[bool, List[float]] = {False: [], True: []}
        mems: Dict[bool, List[float]] = {False: [], True: []}
        order = [False, True, True, False] * ((args.reps + 1) // 2)
        for fused in order[:2 * args.reps]:
            elapsed, extra = peak_extra(lambda: predict(fused))
            times[fused].append(elapsed)
            mems[fused].append(extra)
        model.vlm = vlm
        rows.append(dict(size=size, **{f'{k}_{m}': statistics.median(v[f]) for k, v in (('time', times),
                                                                                       ('mem', mems))
                                       for m, f in (('plain', False), ('fused', True))}))
    return rows


def fusion_table(rows: List[dict], config: str, reps: int) -> str:
    """Markdown table of plain vs fused time and peak extra memory."""
    lines = [f'{osp.basename(config)}, batch 1, inference, median of {reps} per mode (alternating, one process)',
             '| size | plain (s) | fused (s) | time fused / plain | plain peak extra (MiB) | fused peak extra (MiB) '
             '| memory fused / plain |', '| --- | --- | --- | --- | --- | --- | --- |']
    for r in rows:
        lines.append(f"| {r['size']} | {r['time_plain']:.3f} | {r['time_fused']:.3f} | "
                     f"{r['time_fused'] / r['time_plain']:.2f} | {r['mem_plain']:.1f} | {r['mem_fused']:.1f} | "
                     f"{r['mem_fused'] / max(r['mem_plain'], 1e-6):.2f} |")
    return '\n'.join(lines)


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
    parser.add_argument('--fusion', metavar='CONFIG', help='measure the fused vs the plain detector of CONFIG')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--size', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--layout', choices=LAYOUTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fusion:
        if not osp.isfile(args.fusion):
            raise FileNotFoundError(f'--fusion: no config file {args.fusion}')
        print(fusion_table(fusion_worker(args), args.fusion, args.reps))
        return
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
