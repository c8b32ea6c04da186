"""Export the online encoder of a PixPro checkpoint for fine-tuning.

    python tools/model_converters/pixpro_export.py work_dirs/pixpro/iter_1000.pth pixpro_r50.pth
    python tools/model_converters/pixpro_export.py work_dirs/pixpro/iter_1000.pth pixpro_r50_d2.pkl --to detectron2

``mmdet`` (default) writes ``{'state_dict': ..., 'meta': ...}`` with mmdet/mmseg ``ResNet`` key names: use it as
``backbone.init_cfg=dict(type='Pretrained', checkpoint='pixpro_r50.pth')`` (see configs/pixpro/transfer/).
``detectron2`` writes detectron2's pickled ``{"model", "__author__", "matching_heuristics"}`` dict, for
``MODEL.WEIGHTS`` in a detectron2 config (RGB input, ``STRIDE_IN_1X1: False``, as PixPro's transfer configs set).
"""
import argparse
import os.path as osp
import pickle
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

from align_core.checkpoint import UnsafeCheckpointError, safe_load  # noqa: E402
from dense_align.pixpro.export import online_encoder_state, to_detectron2  # noqa: E402


def main() -> None:
    """Parse the command line and export."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='PixPro checkpoint written by tools/train.py')
    parser.add_argument('dst', help='output file (.pth for mmdet/mmseg, .pkl for detectron2)')
    parser.add_argument('--to', choices=('mmdet', 'detectron2'), default='mmdet', help='target format')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in src (only for files you trust)')
    args = parser.parse_args()

    try:
        checkpoint = safe_load(args.src, trust=args.trust_checkpoint or None)
    except (FileNotFoundError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        sys.exit(f'error: {args.src} holds a {type(checkpoint).__name__}, expected a state dict')
    try:
        encoder = online_encoder_state(state, args.src)
    except KeyError as err:
        sys.exit(f'error: {err.args[0]}')
    if args.to == 'mmdet':
        meta = dict(source=osp.basename(args.src), format='mmdet/mmseg ResNet', method='PixPro')
        torch.save({'state_dict': encoder, 'meta': meta}, args.dst)
        count = len(encoder)
    else:
        d2 = to_detectron2(encoder)
        with open(args.dst, 'wb') as f:
            pickle.dump(d2, f)
        count = len(d2['model'])
    print(f'wrote {count} tensors of the online encoder to {args.dst} ({args.to})')


if __name__ == '__main__':
    main()
