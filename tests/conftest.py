"""Shared fixtures: a small generated copy of the demo data and a runner for the command-line tools."""
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
SEG_CONFIG = REPO / 'configs/baselines/semfpn_r18-w16_fpn_1xb8-1600it_demo-shapes-64x64.py'
DET_CONFIG = REPO / 'configs/baselines/retinanet_r18-w16_fpn_1xb8-12e_demo-shapes-64x64.py'


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> Path:
    """A small demo dataset (24 train / 8 val images of 64 px), generated once per session."""
    from dense_align.datasets import DemoShapesSpec, generate_demo_shapes
    root = tmp_path_factory.mktemp('demo_shapes')
    generate_demo_shapes(str(root), DemoShapesSpec(num_train=24, num_val=8, size=64, seed=1))
    return root


def seg_data_options(root: Path) -> List[str]:
    """``--cfg-options`` pointing the segmentation demo config at ``root``, single-process data loading."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return opts


def det_data_options(root: Path) -> List[str]:
    """``--cfg-options`` pointing the detection demo config at ``root``, single-process data loading."""
    opts = seg_data_options(Path(f'{root}/'))
    ann = f'{root}/annotations/instances_val.json'
    # keep every detection: after a few iterations no score passes the usual 0.05 and CocoMetric would get nothing
    return opts + [f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}', 'model.test_cfg.score_thr=0']


def run_tool(args: List[str], env: Optional[dict] = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python <args>`` from the repository root and capture its output.

    Args:
        args: script path (relative to the repository) and its arguments.
        env: extra environment variables.
        timeout: seconds before the process is killed.

    Returns:
        The finished process, with ``stdout`` and ``stderr`` as text.
    """
    full_env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1', **(env or {}))
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    """A free local TCP port, so that parallel or leftover multi-process runs cannot collide."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def join_gloo_group(rank: int, world: int, port: int) -> None:
    """Join a CPU (gloo) process group on ``port``, in a worker started by ``torch.multiprocessing.spawn``."""
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)


def train_two_processes(config: Path, options: List[str], tmp_path: Path) -> Path:
    """Train ``config`` with torchrun on 2 CPU processes (gloo); each rank saves its final parameters
    (``rank{R}_of_2.pth`` in the returned work dir, see tests/helpers/rank_weights_hook.py).

    Args:
        config: the config to train.
        options: ``--cfg-options`` entries.
        tmp_path: folder for the wrapper config and the work dir.

    Returns:
        The work dir; the run is asserted to have succeeded.
    """
    work = tmp_path / 'ddp'
    helpers = Path(__file__).resolve().parent / 'helpers'
    wrapper = tmp_path / 'ddp_config.py'
    wrapper.write_text(f"_base_ = ['{config}']\n"
                       "custom_imports = dict(imports=['rank_weights_hook'], allow_failed_imports=False)\n"
                       "custom_hooks = [dict(type='SaveRankWeightsHook')]\n")
    env = {'PYTHONPATH': os.pathsep.join([str(helpers), os.environ.get('PYTHONPATH', '')])}
    result = run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={free_port()}',
                       REPO / 'tools/train.py', wrapper, '--launcher', 'pytorch', '--work-dir', work,
                       '--cfg-options'] + options, env=env)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    return work


def equal_rank_states(work: Path) -> Dict[str, 'torch.Tensor']:
    """Assert that both ranks of a :func:`train_two_processes` run ended with the same parameter names and
    identical values.

    Args:
        work: the work dir :func:`train_two_processes` returned.

    Returns:
        Rank 0's final state (for the test's own checks, e.g. that training moved the weights).
    """
    import torch
    rank0 = torch.load(work / 'rank0_of_2.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1_of_2.pth', weights_only=True)
    assert rank0.keys() == rank1.keys(), sorted(set(rank0) ^ set(rank1))[:5]
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    return rank0


@pytest.fixture(autouse=True)
def fresh_default_scope():
    """Start every test as a fresh process starts: without the mmengine default scope that a Runner built by an
    earlier test in this process left behind (a leftover 'mmseg' scope makes dense_align's registry look in mmseg's)."""
    from mmengine.registry import DefaultScope
    DefaultScope._instance_dict.clear()
    yield
