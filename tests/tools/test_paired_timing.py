"""paired_timing: the CPU-time clock leaves out time spent off the CPU; rounds alternate; ratios are per round."""
import importlib.util
import time

import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location('paired_timing', REPO / 'tools/analysis/paired_timing.py')
paired_timing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paired_timing)


def test_cpu_clock_leaves_out_sleeping_and_wall_clock_counts_it():
    calls = []

    def sleeper() -> None:  # 50 ms off the CPU, as when another job holds the core
        calls.append('sleep')
        time.sleep(0.05)

    def other() -> None:
        calls.append('other')

    times = paired_timing.interleaved_times({'sleep': sleeper, 'other': other}, reps=2, clock='cpu', warmup=1)
    assert max(times['sleep']) < 0.02
    wall = paired_timing.interleaved_times({'sleep': sleeper}, reps=1, clock='wall', warmup=0)
    assert wall['sleep'][0] >= 0.05
    # one warm-up each, then rounds in rotating order: round 0 sleep, other; round 1 other, sleep
    assert calls[:6] == ['sleep', 'other', 'sleep', 'other', 'other', 'sleep']


def test_ratio_stats_are_per_round_and_bad_clocks_fail():
    assert paired_timing.ratio_stats([1.0, 4.0, 3.0], [2.0, 2.0, 3.0]) == (1.0, 0.5, 2.0)
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        paired_timing.interleaved_times({'a': lambda: None}, reps=1, clock='gpu')
    with pytest.raises(ValueError, match='CPU work only'):
        paired_timing.interleaved_times({'a': lambda: None}, reps=1, device='cuda', clock='cpu', warmup=0)
