"""The encoder benchmark runs end to end (tiny models, one repetition); it reports ratios, it asserts no timing."""
from conftest import run_tool


def test_clip_encoder_benchmark_runs():
    result = run_tool(['tools/analysis/benchmark_clip_encoders.py', '--tiny', '--reps', '1'])
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if '(tiny)' in line]
    assert len(rows) == 6
    for row in rows:
        ratio = float(row.split()[-4])
        assert ratio > 0
