"""The test-time cost benchmark's memory sampler (tools/analysis/benchmark_dito.py) against a known allocation."""
import importlib.util
import time
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[3] / 'tools/analysis/benchmark_dito.py'


def load_benchmark():
    spec = importlib.util.spec_from_file_location('benchmark_dito', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_peak_extra_sees_a_64_mib_buffer_held_for_50_ms_and_released():
    bench = load_benchmark()

    def hold() -> None:
        buffer = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MiB, every page touched
        time.sleep(0.05)
        del buffer

    elapsed, extra = bench.peak_extra(hold)
    assert elapsed >= 0.05
    assert 60 <= extra <= 80  # the buffer, plus at most a few MiB of interpreter noise
    _, idle = bench.peak_extra(lambda: time.sleep(0.02))
    assert idle < 8  # nothing allocated: the peak stays at the baseline


def test_fusion_table_reports_the_ratios():
    bench = load_benchmark()
    table = bench.fusion_table([dict(size=64, time_plain=0.4, time_fused=0.7, mem_plain=3.0, mem_fused=4.2)],
                               'cfg.py', 3)
    assert '| 64 | 0.400 | 0.700 | 1.75 | 3.0 | 4.2 | 1.40 |' in table
