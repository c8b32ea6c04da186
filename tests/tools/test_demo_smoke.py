"""tools/demo.py runs its four steps end to end (a few iterations each: pre-training, segmentation and detection
fine-tuning) and writes the report and the picture."""
from PIL import Image

from conftest import run_tool


def test_demo_pipeline_end_to_end(tmp_path):
    work, data = tmp_path / 'demo', tmp_path / 'data'
    args = ['tools/demo.py', '--work-dir', work, '--data', data, '--pretrain-iters', '3', '--finetune-iters', '3',
            '--det-iters', '3', '--num-train', '16', '--num-val', '4']
    result = run_tool(args)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (work / 'report.md').read_text()
    assert '| pre-trained CLIP |' in report and '| random init |' in report and 'zero-shot top-1' in report
    assert 'DenseCLIP RetinaNet' in report and 'pre-trained CLIP AP / AP50' in report
    assert Image.open(work / 'predictions.png').size == (128 * 10, (128 + 14) * 4)
    # a second run reuses every finished step
    again = run_tool(args)
    assert again.returncode == 0 and again.stdout.count('exists; reusing it') == 5
