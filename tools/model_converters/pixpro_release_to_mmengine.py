"""Convert a released PixPro pre-trained model (zdaxie/PixPro: ``{'model': {'module.encoder.*': ...}}``) into our
PixPro checkpoint, or export its encoder for mmdet/mmseg or detectron2 (the same files as pixpro_export.py writes).

    python tools/model_converters/pixpro_release_to_mmengine.py pixpro_base_r50_100ep.pth pixpro_r50_100ep.pth
    python tools/model_converters/pixpro_release_to_mmengine.py pixpro_base_r50_100ep.pth r50.pth --to mmdet
    python tools/model_converters/pixpro_release_to_mmengine.py pixpro_base_r50_100ep.pth r50_d2.pkl --to detectron2

``pixpro`` (default) writes ``{'state_dict', 'meta'}`` for our PixPro model (``load_from``); ``mmdet`` the online
encoder under mmdet/mmseg ``ResNet`` names (``backbone.init_cfg=dict(type='Pretrained', checkpoint=...)``, as
configs/pixpro/transfer/ use it); ``detectron2`` the pickled ``{"model", "__author__", "matching_heuristics"}`` dict
that PixPro's own ``transfer/detection/convert_pretrain_to_d2.py`` writes. A raw training checkpoint
(``ckpt_epoch_100.pth``) also pickles its argparse options: pass --trust-checkpoint only for a file you trust.
"""
import argparse
import os.path as osp
import sys

from converter_cli import add_trust_argument, read_checkpoint_or_exit, save_state
from dense_align.pixpro.export import online_encoder_state, save_encoder
from dense_align.pixpro.released_checkpoint import released_pixpro_to_ours, released_state


def main() -> None:
    """Parse the command line and convert."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='released PixPro .pth')
    parser.add_argument('dst', help='output file (.pth, or .pkl for detectron2)')
    parser.add_argument('--to', choices=('pixpro', 'mmdet', 'detectron2'), default='pixpro', help='target format')
    add_trust_argument(parser)
    args = parser.parse_args()
    checkpoint = read_checkpoint_or_exit(args.src, args.trust_checkpoint)
    state = released_state(checkpoint)
    if state is None:
        keys = list(checkpoint)[:5] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        sys.exit(f'error: {args.src} is not a released PixPro checkpoint: expected {{"model": {{"module.encoder.*": '
                 f'...}}}}, got {keys}')
    try:
        ours = released_pixpro_to_ours(state, osp.basename(args.src))
    except KeyError as err:
        sys.exit(f'error: {err.args[0]}')
    meta = dict(source=osp.basename(args.src), format='zdaxie/PixPro release', method='PixPro')
    if args.to == 'pixpro':
        save_state(ours, args.dst, meta)
        count = len(ours)
    else:
        count = save_encoder(online_encoder_state(ours, args.src), args.dst, args.to, meta)
    print(f'wrote {count} tensors ({args.to}) to {args.dst}')


if __name__ == '__main__':
    main()
