"""Paired timing for the benchmarks in tools/analysis: two callables measured alternately in one process, with the
CUDA peak memory of one call of each."""
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


def _timed(fn: Callable[[], None], device: str) -> float:
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
