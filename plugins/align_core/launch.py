"""Distributed launch on machines without a GPU (gloo), which mmengine 0.10.7 cannot do by itself.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally and its Runner wraps the model in DDP with
``device_ids=[LOCAL_RANK]``, both of which fail without CUDA. On such a machine the tools initialise the gloo process
group themselves (mmengine then skips ``init_dist``) and ask for a DDP wrapper without device ids. GPU runs keep
mmengine's normal path (nccl).
"""
import os
import subprocess
from typing import Any

import torch
import torch.distributed as dist

LAUNCHERS = ('none', 'pytorch', 'slurm')


def _slurm_environment() -> None:
    """Fill torch's rendezvous variables from SLURM's, as ``srun`` sets them."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        first = subprocess.check_output(['scontrol', 'show', 'hostnames', nodes], text=True).split()[0]
        os.environ['MASTER_ADDR'] = first
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_distributed(launcher: str) -> bool:
    """Initialise a gloo process group when a distributed launcher is used on a machine without CUDA.

    Args:
        launcher: ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'`` (srun).

    Returns:
        True if this function initialised the process group (the caller must then use :func:`cpu_ddp_wrapper_cfg`).
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'--launcher must be one of {", ".join(LAUNCHERS)}, got {launcher!r}')
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_environment()
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher {launcher} needs the environment variables {", ".join(missing)}; '
                           f'start the tool with torchrun (tools/dist_train.sh) or srun')
    dist.init_process_group(backend='gloo', init_method='env://')
    return True


def cpu_ddp_wrapper_cfg(cfg: Any) -> None:
    """Set ``cfg.model_wrapper_cfg`` for DDP over CPU modules (no device ids), keeping a custom wrapper type.

    Args:
        cfg: an mmengine ``Config``; changed in place.
    """
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
