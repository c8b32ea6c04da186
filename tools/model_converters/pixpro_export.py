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
import sys

from converter_cli import add_trust_argument, read_checkpoint_or_exit
from dense_align.pixpro.export import online_encoder_state, save_encoder


def main() -> None:
    """Parse the command line and export."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='PixPro checkpoint written by tools/train.py')
    parser.add_argument('dst', help='output file (.pth for mmdet/mmseg, .pkl for detectron2)')
    parser.add_argument('--to', choices=('mmdet', 'detectron2'), default='mmdet', help='target format')
    add_trust_argument(parser)
    args = parser.parse_args()

    checkpoint = read_checkpoint_or_exit(args.src, args.trust_checkpoint)
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        sys.exit(f'error: {args.src} holds a {type(checkpoint).__name__}, expected a state dict')
    try:
        encoder = online_encoder_state(state, args.src)
    except KeyError as err:
        sys.exit(f'error: {err.args[0]}')
    count = save_encoder(encoder, args.dst, args.to, dict(source=osp.basename(args.src), method='PixPro'))
    print(f'wrote {count} tensors of the online encoder to {args.dst} ({args.to})')


if __name__ == '__main__':
    main()
