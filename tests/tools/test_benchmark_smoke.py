"""The benchmarks run end to end (tiny settings, one repetition); they report ratios and assert no timing."""
from conftest import run_tool


def test_clip_encoder_benchmark_runs():
    result = run_tool(['tools/analysis/benchmark_clip_encoders.py', '--tiny', '--reps', '1'])
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if '(tiny)' in line]
    assert len(rows) == 7  # RN50: forward, train step, dense forward, dense trunk; ViT-B/16: the first three
    for row in rows:
        ratio = float(row.split()[-8])  # time: median of ours / open_clip (then 4 compile and 3 memory columns)
        assert ratio > 0


def test_pixpro_step_benchmark_runs():
    result = run_tool(['tools/analysis/benchmark_pixpro_step.py', '--depth', '18', '--size', '64', '--batch', '2',
                       '--reps', '1', '--device', 'cpu'])
    assert result.returncode == 0, result.stderr[-3000:]
    ratio_line = [line for line in result.stdout.splitlines() if line.startswith('PixPro / BYOL')]
    assert len(ratio_line) == 1 and float(ratio_line[0].split('time ')[1].split(',')[0]) > 0


def test_xclip_benchmark_runs():
    result = run_tool(['tools/analysis/benchmark_xclip.py', '--arch', 'tiny', '--frames', '2', '--classes', '3',
                       '--reps', '1', '--device', 'cpu'])
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith('tiny')]
    assert len(rows) == 2 and all(float(row[-2]) > 0 for row in rows)
