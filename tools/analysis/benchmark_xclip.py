"""Forward time and peak memory of our XCLIPRecognizer against transformers' XCLIPModel on the same weights, in one
process (ratio ours / transformers; < 1 means ours is faster or smaller).

    python tools/analysis/benchmark_xclip.py [--arch ViT-B/32 ViT-B/16] [--frames 8] [--batch 2] [--classes 400]
        [--reps 5] [--threads N] [--memory]

Random weights with the real sizes (no download). Both score ``--classes`` class names. transformers encodes the
class texts on every call; ours caches them while the class list and weights are unchanged, so two rows are
printed: ours as used (cached text) and ours with the text re-encoded each call (the cache cleared).

Times: one warm-up call each, then rounds calling ours and transformers alternately (order rotating); ``time`` is the
median of the per-round ratios ours / transformers, ``spread`` their lowest and highest (the noise). Memory
(``--memory``, CPU): each case runs twice in a fresh subprocess per side that builds only that side; the column is
its peak resident set minus the one after the imports (MiB: weights, inputs, activations).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import torch
from mmengine.logging import MMLogger

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from dense_align.clip import CLIP_TEXT_ARCHS, CLIP_VIT_ARCHS  # noqa: E402
from dense_align.registry import MODELS  # noqa: E402
from dense_align.xclip import hf_to_original, original_to_ours  # noqa: E402
from paired_timing import interleaved_times, ratio_stats, rss_mib, subprocess_peak_mib  # noqa: E402

CASES = ('cached text', 'text every call')


def build_pair(arch: str, frames: int, class_names: list, device: str, sides=('hf', 'ours')):
    """transformers' XCLIPModel and our recognizer with identical random weights (``sides``: which to build; a side
    not built is None, and ours alone keeps its own random weights)."""
    from transformers import XCLIPConfig, XCLIPModel
    spec, text = CLIP_VIT_ARCHS[arch], CLIP_TEXT_ARCHS[arch]
    heads = max(1, spec['output_dim'] // 64)
    config = XCLIPConfig(
        text_config=dict(hidden_size=text['width'], intermediate_size=4 * text['width'],
                         num_hidden_layers=text['layers'], num_attention_heads=text['heads']),
        vision_config=dict(hidden_size=spec['width'], intermediate_size=4 * spec['width'],
                           num_hidden_layers=spec['layers'], num_attention_heads=spec['heads'],
                           image_size=spec['image_size'], patch_size=spec['patch_size'], num_frames=frames,
                           mit_hidden_size=spec['output_dim'], mit_intermediate_size=4 * spec['output_dim'],
                           mit_num_attention_heads=heads),
        projection_dim=spec['output_dim'], prompt_num_attention_heads=heads)
    torch.manual_seed(0)
    hf = XCLIPModel(config).eval().to(device) if 'hf' in sides else None
    if 'ours' not in sides:
        return hf, None
    ours = MODELS.build(dict(type='XCLIPRecognizer', visual=dict(type='CrossFrameViT', arch=arch),
                             text_encoder=dict(type='CLIPTextTransformer', arch=arch), class_names=class_names,
                             num_frames=frames))
    if hf is not None:
        ours.load_state_dict(original_to_ours(hf_to_original(hf.state_dict())), strict=True)
    return hf, ours.eval().to(device)


def case_fn(side: str, case: str, hf, ours, clips: torch.Tensor, input_ids: torch.Tensor):
    """The no-grad forward timed for one side and case."""
    def run_hf() -> None:
        with torch.no_grad():
            hf(input_ids=input_ids, pixel_values=clips)

    def run_ours() -> None:
        if case == 'text every call':
            ours._text_cache._key = None
        with torch.no_grad():
            ours(clips, mode='tensor')
    return run_hf if side == 'hf' else run_ours


def inputs(arch: str, args: argparse.Namespace, names: list):
    """The clips (fixed seed) and the class names' token ids."""
    from dense_align.clip import ClipBPETokenizer
    torch.manual_seed(1)
    size = CLIP_VIT_ARCHS[arch]['image_size']
    clips = torch.randn(args.batch, args.frames, 3, size, size, device=args.device)
    context = CLIP_TEXT_ARCHS[arch].get('context_length', 77)
    return clips, ClipBPETokenizer(context_length=context)(names).to(args.device)


def main(argv: Optional[List[str]] = None) -> None:
    """Parse the command line, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', nargs='+', default=['ViT-B/32', 'ViT-B/16'], help="CLIP ViT sizes ('tiny' to try)")
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--classes', type=int, default=400)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--memory', action='store_true', help='peak RSS per case and side, in fresh subprocesses')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--one-case', nargs=2, metavar=('CASE', 'SIDE'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f'--reps must be >= 1, got {args.reps}')
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('xclip-benchmark', log_level='WARNING')
    names = [f'action number {i}' for i in range(args.classes)]
    if args.one_case:
        import json
        case, side = args.one_case
        if case not in CASES or side not in ('ours', 'hf') or len(args.arch) != 1:
            parser.error(f'--one-case: expected one --arch, one of {CASES} and ours|hf, got {args.one_case}')
        base = rss_mib('VmRSS')
        hf, ours = build_pair(args.arch[0], args.frames, names, args.device, sides=(side, ))
        fn = case_fn(side, case, hf, ours, *inputs(args.arch[0], args, names))
        fn()
        fn()
        print(json.dumps(dict(max_rss_mib=rss_mib('VmHWM') - base)))
        return
    print(f'{args.batch} videos x {args.frames} frames, {args.classes} classes, {args.device}, '
          f'threads {torch.get_num_threads()}, {args.reps} rounds')
    print(f'{"arch":<10}{"case":<17}{"ours s":>8}{"hf s":>8}{"spread":>11}{"ours MiB":>9}{"hf MiB":>8}{"time":>6}'
          f'{"mem":>6}')
    for arch in args.arch:
        hf, ours = build_pair(arch, args.frames, names, args.device)
        clips, input_ids = inputs(arch, args, names)
        for case in CASES:
            fns = {side: case_fn(side, case, hf, ours, clips, input_ids) for side in ('ours', 'hf')}
            times = interleaved_times(fns, args.reps, args.device)
            ratio, low, high = ratio_stats(times['ours'], times['hf'])
            med = {side: sorted(t)[len(t) // 2] for side, t in times.items()}
            mem, mem_ratio = f'{"n/a":>9}{"n/a":>8}', '  n/a'
            if args.memory and args.device == 'cpu':
                cmd = [sys.executable, osp.abspath(__file__), '--arch', arch, '--frames', str(args.frames),
                       '--batch', str(args.batch), '--classes', str(args.classes), '--device', args.device]
                cmd += ['--threads', str(args.threads)] if args.threads else []
                peaks = [subprocess_peak_mib(cmd + ['--one-case', case, side]) for side in ('ours', 'hf')]
                mem, mem_ratio = f'{peaks[0]:>9.0f}{peaks[1]:>8.0f}', f'{peaks[0] / peaks[1]:>6.2f}'
            print(f'{arch:<10}{case:<17}{med["ours"]:>8.3f}{med["hf"]:>8.3f}{f"{low:.2f}-{high:.2f}":>11}{mem}'
                  f'{ratio:>6.2f}{mem_ratio:>6}', flush=True)


if __name__ == '__main__':
    main()
