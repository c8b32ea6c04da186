"""The demo report tool: validation results of an iteration-based run (logged with ``step`` 0) are placed at
multiples of ``val_interval``, and mean +- std are over seeds (sample std)."""
import importlib.util
import json

from conftest import REPO


def load_tool():
    spec = importlib.util.spec_from_file_location('xclip_demo_seeds', REPO / 'tools/analysis/xclip_demo_seeds.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_run(work_dir, values):
    vis = work_dir / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'config.py').write_text('train_cfg = dict(type="IterBasedTrainLoop", max_iters=1000, val_interval=250)\n')
    lines = [dict(loss=1.0, step=10)] + [{'video/top1': v, 'step': 0} for v in values]
    (vis / 'scalars.json').write_text(''.join(json.dumps(line) + '\n' for line in lines))


def test_table_places_results_at_validation_iterations(tmp_path):
    tool = load_tool()
    fake_run(tmp_path / 'seed0', [20.0, 40.0])
    fake_run(tmp_path / 'seed1', [30.0, 50.0])
    runs = {s: tool.read_top1(str(tmp_path / f'seed{s}')) for s in (0, 1)}
    assert runs[0] == {250: 20.0, 500: 40.0}
    assert tool.table(runs)[2:] == ['| 250 | 20.0 | 30.0 | 25.0 +- 7.1 |', '| 500 | 40.0 | 50.0 | 45.0 +- 7.1 |']
