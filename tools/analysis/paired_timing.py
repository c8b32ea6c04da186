"""Paired timing for the benchmarks in tools/analysis: callables measured alternately in one process (median and
spread of the per-round ratios), the CUDA peak memory of one call, and the peak resident set of a fresh process."""
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch


def peak_memory(fn: Callable[[], None], device: str) -> Optional[int]:
    """Peak CUDA memory (bytes above the starting point) of one call; None on a CPU, where the caching allocator
    makes in-process peaks meaningless."""
    if device != 'cuda':
        fn()
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def _timed(fn: Callable[[], None], device: str, clock: str = 'wall') -> float:
    """Seconds of one call: wall-clock (CUDA work included), or with ``clock='cpu'`` the CPU time of this process
    (``time.process_time``: all its threads, without the time other jobs of a shared machine hold the cores)."""
    if clock == 'cpu':
        if device == 'cuda':
            raise ValueError("paired_timing: clock='cpu' measures CPU work only; use clock='wall' on a GPU")
        start = time.process_time()
        fn()
        return time.process_time() - start
    if clock != 'wall':
        raise ValueError(f"paired_timing: clock must be 'wall' or 'cpu', got {clock!r}")
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure_pair(ours: Callable[[], None], ref: Callable[[], None], reps: int,
                 device: str) -> Tuple[float, float, Optional[int], Optional[int]]:
    """Median seconds per call of both (two warm-up calls each, then calls alternating so that drift in machine
    load hits both alike) and the peak memory of one call of each.

    Returns:
        ``(ours seconds, ref seconds, ours peak bytes, ref peak bytes)``; peaks are None on a CPU.
    """
    for _ in range(2):
        ours()
        ref()
    times: Dict[str, List[float]] = {'ours': [], 'ref': []}
    for _ in range(reps):
        times['ours'].append(_timed(ours, device))
        times['ref'].append(_timed(ref, device))
    peaks = [peak_memory(fn, device) for fn in (ours, ref)]
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    return median['ours'], median['ref'], peaks[0], peaks[1]


def interleaved_times(fns: Dict[str, Callable[[], None]], reps: int, device: str = 'cpu',
                      warmup: int = 1, clock: str = 'wall') -> Dict[str, List[float]]:
    """Seconds of each call of every function: ``warmup`` untimed calls each, then ``reps`` rounds calling every
    function once, the order rotating per round, so that drift in machine load hits all alike.

    Args:
        fns: name -> callable.
        reps: timed rounds.
        device: ``'cuda'`` synchronises around each call.
        warmup: untimed calls of each first.
        clock: ``'wall'`` or ``'cpu'`` (process CPU time; on a shared CPU machine with a fixed thread count it
            leaves out the time the process waits for a core, the main noise there).

    Returns:
        name -> ``reps`` seconds, in round order.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    names = list(fns)
    times: Dict[str, List[float]] = {name: [0.0] * reps for name in names}
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name][r] = _timed(fns[name], device, clock)
    return times


def ratio_stats(ours: List[float], ref: List[float]) -> Tuple[float, float, float]:
    """Median, lowest and highest of the per-round ratios ``ours[i] / ref[i]`` (the spread is the noise)."""
    ratios = sorted(o / r for o, r in zip(ours, ref))
    return ratios[len(ratios) // 2], ratios[0], ratios[-1]


def rss_mib(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (current) resident set of this process in MiB from ``/proc/self/status`` (on
    Linux ``getrusage``'s ``ru_maxrss`` carries the parent's peak over fork + exec); elsewhere ``getrusage``'s peak."""
    import os.path as osp
    import resource
    if osp.exists('/proc/self/status'):
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def subprocess_peak_mib(cmd: List[str]) -> float:
    """Run ``cmd`` (a benchmark in its one-case mode, printing ``{"max_rss_mib": ...}`` as its last line) in a
    fresh process and return that number."""
    import json
    import subprocess
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f'memory subprocess {" ".join(cmd[1:])} failed:\n{result.stderr[-2000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])['max_rss_mib']
