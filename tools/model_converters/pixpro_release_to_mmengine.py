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
import pickle
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

from align_core.checkpoint import UnsafeCheckpointError, safe_load  # noqa: E402
from dense_align.pixpro.export import online_encoder_state, to_detectron2  # noqa: E402
from dense_align.pixpro.released_checkpoint import released_pixpro_to_ours, released_state  # noqa: E402


def main() -> None:
    """Parse the command line and convert."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='released PixPro .pth')
    parser.add_argument('dst', help='output file (.pth, or .pkl for detectron2)')
    parser.add_argument('--to', choices=('pixpro', 'mmdet', 'detectron2'), default='pixpro', help='target format')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in src (only for files you trust)')
    args = parser.parse_args()
    try:
        checkpoint = safe_load(args.src, trust=args.trust_checkpoint or None)
    except (FileNotFoundError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')
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
        torch.save({'state_dict': ours, 'meta': meta}, args.dst)
        count = len(ours)
    elif args.to == 'mmdet':
        encoder = online_encoder_state(ours, args.src)
        torch.save({'state_dict': encoder, 'meta': dict(meta, format='mmdet/mmseg ResNet')}, args.dst)
        count = len(encoder)
    else:
        d2 = to_detectron2(online_encoder_state(ours, args.src))
        with open(args.dst, 'wb') as f:
            pickle.dump(d2, f)
        count = len(d2['model'])
    print(f'wrote {count} tensors ({args.to}) to {args.dst}')


if __name__ == '__main__':
    main()
