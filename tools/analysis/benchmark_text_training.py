"""Throughput of our text training step and of ``encode`` against sentence-transformers on the same model, batch and
sequence length, in one process (ratios ours / sentence-transformers in time: < 1 means ours is faster).

    python tools/analysis/benchmark_text_training.py [--batch 32] [--max-length 64] [--reps 5] [--memory]
        [--model shipped:...] [--threads N]

Training step: tokenise (anchor, positive) pairs, forward, MultipleNegativesRankingLoss (ours: InBatchInfoNCELoss
at temperature 0.05), backward, AdamW step; sentence-transformers runs the same step with its model and loss
(what its trainer does per batch). Encoding: ``encode`` of 512 sentences, batch 64.

Times: one warm-up call each, then rounds calling ours and sentence-transformers alternately (order rotating);
``time`` is the median of the per-round ratios ours / s-t and ``spread`` their lowest and highest (the noise of a
shared machine). ``--clock cpu`` (the default on a CPU) times the process's CPU time instead of wall-clock time, which
leaves out the time spent waiting for a core on a shared machine (use it with a fixed ``--threads``). Memory (``--memory``): each case runs twice in a fresh subprocess per side that builds only that
side; the column is its peak resident set minus the resident set after the imports (MiB), i.e. weights, optimizer
state, inputs and activations.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Tuple

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.logging import MMLogger  # noqa: E402

from paired_timing import interleaved_times, ratio_stats, rss_mib, subprocess_peak_mib  # noqa: E402
from text_align.encoders import TextEncoder, resolve_model_path  # noqa: E402
from text_align.losses import InBatchInfoNCELoss  # noqa: E402

CASES = ('training step', 'encode 512')


def sentences(n: int, words: int) -> list:
    """Deterministic sentences of about ``words`` words."""
    vocab = ['model', 'contrastive', 'sentence', 'embedding', 'retrieval', 'batch', 'negative', 'query', 'passage',
             'training', 'language', 'similar', 'different', 'vector', 'space', 'learning']
    return [' '.join(vocab[(i * 7 + j * 3) % len(vocab)] for j in range(words + i % 5)) for i in range(n)]


def build_case(side: str, case: str, args: argparse.Namespace) -> Tuple[Callable[[], None], int]:
    """The callable of one case for ``side`` (``'ours'`` or ``'ref'``, sentence-transformers) and the sentences it
    handles per call."""
    path = resolve_model_path(args.model)
    torch.manual_seed(0)
    if side == 'ours':
        model = TextEncoder(path, max_length=args.max_length).to(args.device)
    else:
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(path, device=args.device)
        model.max_seq_length = args.max_length
    if case == 'encode 512':
        corpus = sentences(512, 16)
        return lambda: model.encode(corpus, batch_size=64), len(corpus)
    model.train()
    anchors, positives = sentences(args.batch, 12), sentences(args.batch, 20)[::-1]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    if side == 'ours':
        loss_fn = InBatchInfoNCELoss(temperature=0.05, gather=False)

        def loss() -> torch.Tensor:
            return loss_fn(model.embed(anchors), model.embed(positives))
    else:
        from sentence_transformers.sentence_transformer.losses.multiple_negatives_ranking import \
            MultipleNegativesRankingLoss
        ref_loss = MultipleNegativesRankingLoss(model, scale=20.0)
        labels = torch.zeros(args.batch, device=args.device)

        def loss() -> torch.Tensor:
            features = [{k: v.to(args.device) if torch.is_tensor(v) else v for k, v in model.tokenize(texts).items()}
                        for texts in (anchors, positives)]
            return ref_loss(features, labels)

    def step() -> None:
        value = loss()
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
    return step, 2 * args.batch


def one_case(case: str, side: str, args: argparse.Namespace) -> None:
    """Subprocess mode: build one side, run the case twice (the optimizer state exists from the first step), print
    the peak resident set above the one after the imports as JSON."""
    import json
    base = rss_mib('VmRSS')
    fn, _ = build_case(side, case, args)
    fn()
    fn()
    print(json.dumps(dict(max_rss_mib=rss_mib('VmHWM') - base)))


def main(argv: Optional[List[str]] = None) -> None:
    """Parse the command line, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='shipped:all-MiniLM-L6-v2')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--max-length', type=int, default=64)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--clock', choices=('cpu', 'wall'), help="'cpu': process CPU time (default on a CPU); "
                        "'wall': wall-clock time (default on CUDA)")
    parser.add_argument('--memory', action='store_true', help='peak RSS per case and side, in fresh subprocesses')
    parser.add_argument('--cases', nargs='+', choices=CASES, default=list(CASES), help='cases to run')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--one-case', nargs=2, metavar=('CASE', 'SIDE'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f'--reps must be >= 1, got {args.reps}')
    if args.threads:
        torch.set_num_threads(args.threads)
    args.clock = args.clock or ('cpu' if args.device == 'cpu' else 'wall')
    MMLogger.get_instance('text-benchmark', log_level='WARNING')
    if args.one_case:
        if args.one_case[0] not in CASES or args.one_case[1] not in ('ours', 'ref'):
            parser.error(f'--one-case: expected one of {CASES} and ours|ref, got {args.one_case}')
        one_case(*args.one_case, args)
        return
    print(f'{args.model}, batch {args.batch} pairs, max length {args.max_length}, {args.device}, '
          f'threads {torch.get_num_threads()}, {args.reps} rounds, clock {args.clock}')
    print(f'{"case":<16}{"ours /s":>9}{"s-t /s":>9}{"spread":>11}{"ours MiB":>9}{"s-t MiB":>9}{"time":>6}{"mem":>6}')
    for case in args.cases:
        fns: Dict[str, Callable[[], None]] = {}
        for side in ('ours', 'ref'):
            fns[side], count = build_case(side, case, args)
        times = interleaved_times(fns, args.reps, args.device, clock=args.clock)
        ratio, low, high = ratio_stats(times['ours'], times['ref'])
        med = {side: sorted(t)[len(t) // 2] for side, t in times.items()}
        mem = f'{"n/a":>9}{"n/a":>9}'
        mem_ratio = '  n/a'
        if args.memory and args.device == 'cpu':
            cmd = [sys.executable, osp.abspath(__file__), '--model', args.model, '--batch', str(args.batch),
                   '--max-length', str(args.max_length), '--device', args.device]
            cmd += ['--threads', str(args.threads)] if args.threads else []
            peaks = [subprocess_peak_mib(cmd + ['--one-case', case, side]) for side in ('ours', 'ref')]
            mem, mem_ratio = f'{peaks[0]:>9.0f}{peaks[1]:>9.0f}', f'{peaks[0] / peaks[1]:>6.2f}'
        print(f'{case:<16}{count / med["ours"]:>9.1f}{count / med["ref"]:>9.1f}{f"{low:.2f}-{high:.2f}":>11}'
              f'{mem}{ratio:>6.2f}{mem_ratio:>6}', flush=True)


if __name__ == '__main__':
    main()
