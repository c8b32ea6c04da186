"""Speed and peak memory of our CLIP image encoders against open_clip's, on the same weights and inputs.

    python tools/analysis/benchmark_clip_encoders.py [--reps 5] [--batch 8] [--threads 1] [--memory] [--tiny]
        [--device cpu|cuda] [--clock cpu|wall] [--compile]

Cases: RN50 and ViT-B/16 forward at batch x 224, a training step (forward + backward) of each, and the dense forward
at 512 x 512 (ours returns the dense embedding map too; open_clip's RN50 runs its trunk only, since its attention pool
is fixed to 7 x 7, and its ViT is built for 512 inputs and returns the pooled embedding only); ``dense trunk`` (RN50)
compares the trunks alone (ours built without the attention pool).

Times: in one process, our plain forward (``eager``), our inference fast path (``ours``, see
``dense_align.clip.fast_path``; training steps take the plain path, RN50's in channels-last layout, the
``channels_last`` option) and open_clip's (``ref``) are called in turn, the order rotating each repetition, after one
warm-up call each. ``time`` is the median over repetitions of the per-repetition ratio ours / ref, ``spread`` the
lowest and highest of those ratios (the noise). ``--clock cpu`` (the default on a CPU) times the process's CPU time
rather than wall-clock time, so that on a shared machine the time spent waiting for a core is left out (use it with
a fixed ``--threads``). ``--compile`` adds ``torch.compile`` (inductor, ``freezing`` on, i.e. weights folded and
prepacked as constants) of our plain eval-mode model for the forward cases: its median time, ratio to ref and
compile seconds.
Memory (``--memory``): each case runs once in a fresh subprocess per side that builds only that side's model;
the column is that process's peak resident set minus its resident set after the imports, i.e. weights, inputs
and activations (MiB; ``VmHWM`` / ``VmRSS`` on Linux, since ``getrusage``'s ``ru_maxrss`` carries the parent's peak
over fork + exec).
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import open_clip  # noqa: E402
from paired_timing import interleaved_times, ratio_stats  # noqa: E402

from dense_align.clip import CLIPResNet, CLIPViT  # noqa: E402

KINDS = ('forward', 'train step', 'dense forward', 'dense trunk')


def build(family: str, side: str, tiny: bool, size: int) -> torch.nn.Module:
    """One image tower: ``side`` is ``'ref'`` (open_clip) or ``'ours'``; ``size`` the input size it is built for."""
    torch.manual_seed(0)
    if family == 'RN50':
        if side == 'ref':
            if tiny:
                return open_clip.modified_resnet.ModifiedResNet([1, 1, 1, 1], 32, 8, 224, 16)
            return open_clip.create_model('RN50-quickgelu', pretrained=None).visual
        arch = dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=224) if tiny else 'RN50'
        return CLIPResNet(arch, with_attnpool=side != 'ours-trunk')
    arch = (dict(patch_size=16, width=64, layers=2, heads=2, output_dim=32) if tiny else
            dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512))
    if side == 'ref':
        return open_clip.transformer.VisionTransformer(image_size=size, mlp_ratio=4.0,
                                                       act_layer=open_clip.transformer.QuickGELU, **arch)
    return CLIPViT(dict(arch, image_size=size), with_embeddings=True)


def case_fn(model: torch.nn.Module, kind: str, family: str, side: str, x: torch.Tensor,
            fast: bool = False) -> Callable[[], None]:
    """The callable timed for one case: a no-grad forward in eval mode, or a training step."""
    if kind == 'train step':
        def step() -> None:
            if side == 'ours' and family == 'RN50':
                model.channels_last = True
            model.train()
            model.zero_grad(set_to_none=True)
            out = model(x)
            (out[-2] if isinstance(out, tuple) else out).float().pow(2).mean().backward()
        return step
    call = model
    if kind.startswith('dense') and family == 'RN50' and side == 'ref':
        call = lambda t: model.forward_intermediates(t, intermediates_only=True)  # noqa: E731

    def infer() -> None:
        if side == 'ours':
            model.set_fast_inference(fast)
            model.channels_last = False
        model.eval()
        with torch.no_grad():
            call(x)
    return infer


def inputs(kind: str, batch: int) -> torch.Tensor:
    """The input of a case (fixed seed)."""
    torch.manual_seed(1)
    return torch.randn(1, 3, 512, 512) if kind.startswith('dense') else torch.randn(batch, 3, 224, 224)


def compiled_forward(model: torch.nn.Module, x: torch.Tensor) -> Tuple[Callable[[], None], float]:
    """``torch.compile`` (inductor, ``freezing`` on) of a copy of ``model``'s plain eval-mode forward; the callable
    and the seconds of the first (compiling) call. The compiled outputs are checked against eager within 1e-5."""
    import copy

    import torch._inductor.config as inductor_config
    inductor_config.freezing = True
    plain = copy.deepcopy(model).eval()
    if hasattr(plain, 'set_fast_inference'):
        plain.set_fast_inference(False)
        plain.channels_last = False
    compiled = torch.compile(plain)
    with torch.no_grad():
        eager = plain(x)
        start = time.perf_counter()
        out = compiled(x)
        seconds = time.perf_counter() - start
    for a, b in zip(out, eager):
        if not torch.allclose(a, b, atol=1e-5 * float(b.abs().max()), rtol=1e-5):
            raise RuntimeError(f'torch.compile output differs from eager by {float((a - b).abs().max())}')

    def call() -> None:
        with torch.no_grad():
            compiled(x)
    return call, seconds


def peak_rss_mib(family: str, kind: str, side: str, args: argparse.Namespace) -> float:
    """Peak RSS (MiB) of a fresh subprocess that builds one side's model and runs the case once."""
    cmd = [sys.executable, osp.abspath(__file__), '--one-case', family, kind, side, '--batch', str(args.batch)]
    cmd += ['--tiny'] if args.tiny else []
    cmd += ['--threads', str(args.threads)] if args.threads else []
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f'memory subprocess {family} {kind} {side} failed:\n{result.stderr[-2000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])['max_rss_mib']


def one_case(family: str, kind: str, side: str, args: argparse.Namespace) -> None:
    """Subprocess mode: run one case once and print the peak RSS above the RSS after imports as JSON."""
    base = proc_status_mib('VmRSS')
    x = inputs(kind, args.batch)
    model = build(family, 'ours-trunk' if side == 'ours' and kind == 'dense trunk' else side, args.tiny,
                  512 if kind == 'dense forward' and family != 'RN50' else 224)
    case_fn(model, kind, family, side, x, fast=True)()
    print(json.dumps(dict(max_rss_mib=proc_status_mib('VmHWM') - base)))


def proc_status_mib(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (current) resident set of this process in MiB, from ``/proc/self/status`` on
    Linux, where ``getrusage``'s ``ru_maxrss`` is inherited from the parent across fork + exec (it would report the
    parent's peak); elsewhere ``resource.getrusage``'s peak for both (the difference is then 0 and meaningless)."""
    if osp.exists('/proc/self/status'):
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args: argparse.Namespace) -> List[str]:
    """Run every case; return the report lines."""
    head = (f'{"case":34s} {"eager s":>8s} {"ours s":>8s} {"ref s":>8s} {"spread":>9s} {"time":>5s} '
            f'{"comp s":>7s} {"comp":>5s} {"c.spread":>9s} {"c.build":>7s} {"ours MiB":>8s} {"ref MiB":>8s} {"mem":>5s}')
    lines = [head]
    print(head, flush=True)
    for family in ('RN50', 'ViT-B/16'):
        models: Dict[Tuple[str, int], torch.nn.Module] = {}
        for size in ((224, ) if family == 'RN50' else (224, 512)):
            ref = build(family, 'ref', args.tiny, size)
            ours = build(family, 'ours', args.tiny, size)
            ours.load_state_dict(ref.state_dict())
            models[('ref', size)], models[('ours', size)] = ref.to(args.device), ours.to(args.device)
            if family == 'RN50':
                trunk = build(family, 'ours-trunk', args.tiny, size)
                trunk.load_state_dict({k: v for k, v in ref.state_dict().items() if not k.startswith('attnpool.')})
                models[('ours-trunk', size)] = trunk.to(args.device)
        for kind in KINDS:
            if kind == 'dense trunk' and family != 'RN50':
                continue
            size = 512 if kind == 'dense forward' and family != 'RN50' else 224
            ref, ours = models[('ref', size)], models[('ours-trunk' if kind == 'dense trunk' else 'ours', size)]
            x = inputs(kind, args.batch).to(args.device)
            fns = {'ours': case_fn(ours, kind, family, 'ours', x, fast=True),
                   'ref': case_fn(ref, kind, family, 'ref', x)}
            compile_s = float('nan')
            if kind != 'train step':  # training takes the plain path: eager == ours
                fns['eager'] = case_fn(ours, kind, family, 'ours', x, fast=False)
                if args.compile:
                    fns['comp'], compile_s = compiled_forward(ours, x)
            times = (interleaved_times(fns, args.reps, args.device, clock=args.clock) if args.reps else
                     {name: [float('nan')] for name in fns})
            med = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
            time_med, low, high = ratio_stats(times['ours'], times['ref'])
            comp = f'{"n/a":>7s} {"n/a":>5s} {"n/a":>9s} {"n/a":>7s}'
            if 'comp' in times:
                c_med, c_low, c_high = ratio_stats(times['comp'], times['ref'])
                comp = f'{med["comp"]:7.3f} {c_med:5.2f} {c_low:4.2f}-{c_high:4.2f} {compile_s:7.1f}'
            mem = '     n/a      n/a   n/a'
            if args.memory and args.device == 'cpu':
                m_ours, m_ref = (peak_rss_mib(family, kind, side, args) for side in ('ours', 'ref'))
                mem = f'{m_ours:8.0f} {m_ref:8.0f} {m_ours / m_ref:5.2f}'
            label = f'{family}{" (tiny)" if args.tiny else ""} {kind} ' + (
                '1x512' if kind.startswith('dense') else f'{args.batch}x224')
            eager = f'{med["eager"]:8.3f}' if 'eager' in med else f'{"=ours":>8s}'
            lines.append(f'{label:34s} {eager} {med["ours"]:8.3f} {med["ref"]:8.3f} '
                         f'{low:4.2f}-{high:4.2f} {time_med:5.2f} {comp} {mem}')
            print(lines[-1], flush=True)
    return lines


def main(argv: Optional[List[str]] = None) -> None:
    """Parse the command line and print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--tiny', action='store_true', help='tiny models (a smoke run)')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda' (memory is measured on a CPU only)")
    parser.add_argument('--clock', choices=('cpu', 'wall'), help="'cpu': process CPU time (default on a CPU); "
                        "'wall': wall-clock time (default and required on CUDA)")
    parser.add_argument('--compile', action='store_true', help='also time torch.compile of our eval-mode model')
    parser.add_argument('--memory', action='store_true', help='peak RSS per case and side, in fresh subprocesses')
    parser.add_argument('--one-case', nargs=3, metavar=('FAMILY', 'KIND', 'SIDE'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 0:
        parser.error(f'--reps must be >= 0 (0: memory only), got {args.reps}')
    if args.threads:
        torch.set_num_threads(args.threads)
    args.clock = args.clock or ('wall' if args.device.startswith('cuda') else 'cpu')
    if args.one_case:
        family, kind, side = args.one_case
        if family not in ('RN50', 'ViT-B/16') or kind not in KINDS or side not in ('ours', 'ref'):
            parser.error(f'--one-case: expected RN50|ViT-B/16, one of {KINDS}, ours|ref; got {args.one_case}')
        one_case(family, kind, side, args)
        return
    print(f'torch {torch.__version__}, open_clip {open_clip.__version__}, {args.device}, threads {torch.get_num_threads()}, '
          f'reps {args.reps}, clock {args.clock}')
    run(args)


if __name__ == '__main__':
    main()
