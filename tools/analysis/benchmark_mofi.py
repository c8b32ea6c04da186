"""Step time and peak memory of MOFI's entity classifier: a plain full softmax (nn.Linear + cross-entropy) against
ShardedClassifier full, PartialFC-sampled, and sharded over 2 gloo processes, at 100k and 1M classes. Every case
runs in a fresh subprocess; peak memory is that process's peak RSS (ru_maxrss), so model and optimizer state count;
above_imports = peak minus the RSS after the imports (per process for the sharded case).

    OMP_NUM_THREADS=1 python tools/analysis/benchmark_mofi.py [--classes 100000 1000000] [--dim 256] [--batch 128]
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))


def _step_loop(head, features, labels, loss_fn, steps: int) -> float:
    import torch
    opt = torch.optim.SGD(head.parameters(), lr=0.1)
    times = []
    for _ in range(steps + 1):  # the first step (allocation) is not timed
        start = time.perf_counter()
        loss = loss_fn(features, labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=False)
        times.append(time.perf_counter() - start)
    return sum(times[1:]) / steps


def run_case(case: str, classes: int, dim: int, batch: int, steps: int, rank: int = 0, world: int = 1) -> dict:
    """One case in this process; returns seconds per step and peak RSS (MiB)."""
    import torch
    import torch.nn.functional as F
    from align_core.sharded_classifier import ShardedClassifier
    torch.manual_seed(rank)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # after the imports
    features = torch.randn(batch, dim, requires_grad=True)
    labels = torch.randint(0, classes, (batch, 1))
    if case == 'full_softmax':
        head = torch.nn.Linear(dim, classes, bias=False)
        seconds = _step_loop(head, features, labels, lambda f, y: F.cross_entropy(head(f), y[:, 0]), steps)
    else:
        rate = 0.1 if case == 'sampled_0.1' else 1.0  # sharded_world1 / sharded: every class
        head = ShardedClassifier(classes, dim, sample_rate=rate, ddp_average=False).train()
        seconds = _step_loop(head, features, labels, head, steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(seconds_per_step=seconds, peak_rss_mib=peak, above_imports_mib=peak - before)


def _sharded_worker(rank: int, world: int, port: int, args: tuple, out) -> None:
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    out[rank] = run_case('sharded', *args, rank=rank, world=world)
    dist.destroy_process_group()


def run_sharded(classes: int, dim: int, batch: int, steps: int) -> dict:
    """ShardedClassifier over 2 gloo processes (each holds half the classes and a batch of ``batch``)."""
    import socket
    import torch.multiprocessing as mp
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    out = mp.Manager().dict()
    mp.spawn(_sharded_worker, args=(2, port, (classes, dim, batch // 2, steps), out), nprocs=2, join=True)
    return dict(seconds_per_step=max(r['seconds_per_step'] for r in out.values()),
                peak_rss_mib=max(r['peak_rss_mib'] for r in out.values()),
                above_imports_mib=max(r['above_imports_mib'] for r in out.values()), processes=2)


def main() -> None:
    """Run every case in a fresh subprocess and print a JSON table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--classes', type=int, nargs='+', default=[100_000, 1_000_000])
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--batch', type=int, default=128, help='global batch (halved per process when sharded)')
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--case', default=None, help=argparse.SUPPRESS)  # internal: run one case
    args = parser.parse_args()
    if args.case:
        fn = run_sharded if args.case == 'sharded_2proc' else lambda *a: run_case(args.case, *a)
        print(json.dumps(fn(args.classes[0], args.dim, args.batch, args.steps)))
        return
    rows = []
    for classes in args.classes:
        for case in ('full_softmax', 'sharded_world1', 'sampled_0.1', 'sharded_2proc'):
            cmd = [sys.executable, __file__, '--case', case, '--classes', str(classes), '--dim', str(args.dim),
                   '--batch', str(args.batch), '--steps', str(args.steps)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                rows.append(dict(case=case, classes=classes, error=done.stderr.strip().splitlines()[-1:]))
            else:
                rows.append(dict(case=case, classes=classes, **json.loads(done.stdout.strip().splitlines()[-1])))
            print(json.dumps(rows[-1]), flush=True)
    for classes in args.classes:
        base = next(r for r in rows if r['classes'] == classes and r['case'] == 'full_softmax')
        for r in rows:
            if r['classes'] == classes and 'error' not in r and 'error' not in base:
                print(f"{classes:>9} {r['case']:<15} {r['seconds_per_step']:.3f} s/step "
                      f"({r['seconds_per_step'] / base['seconds_per_step']:.2f}x)  peak RSS "
                      f"{r['peak_rss_mib']:.0f} MiB, above imports {r['above_imports_mib']:.0f} MiB "
                      f"({r['above_imports_mib'] / base['above_imports_mib']:.2f}x)")


if __name__ == '__main__':
    main()
