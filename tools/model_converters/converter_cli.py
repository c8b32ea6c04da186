"""What every converter script here shares: the ``plugins`` import path, the --trust-checkpoint option, reading the
source checkpoint (exiting with a clear message instead of a traceback) and writing ``{'state_dict', 'meta'}``.

The scripts import it as ``converter_cli`` (Python puts a script's own folder first on ``sys.path``).
"""
import argparse
import os.path as osp
import sys
from typing import Any, Dict

import torch

PLUGINS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins')
if PLUGINS not in sys.path:
    sys.path.insert(0, PLUGINS)

from align_core.checkpoint import UnsafeCheckpointError, safe_load  # noqa: E402


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trust-checkpoint`` (allow pickled objects; off by default) to ``parser``."""
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in src (only for files you trust)')


def read_checkpoint_or_exit(path: str, trust: bool) -> Any:
    """Load ``path`` safely (tensors and plain containers only unless ``trust``).

    Args:
        path: the checkpoint file.
        trust: the --trust-checkpoint flag.

    Returns:
        The loaded object; exits with ``error: ...`` naming the file when it is missing or holds pickled objects.
    """
    try:
        return safe_load(path, trust=trust or None)
    except (FileNotFoundError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')


def save_state(state: Dict[str, torch.Tensor], dst: str, meta: Dict[str, Any]) -> None:
    """Write ``{'state_dict': state, 'meta': meta}`` to ``dst`` (the layout mmengine's ``load_from`` and
    ``init_cfg=dict(type='Pretrained')`` read)."""
    torch.save({'state_dict': state, 'meta': meta}, dst)
