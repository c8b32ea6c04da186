"""Convert released DITO weights (google-research fvlm/dito, JAX/Flax) into a ``DITOFasterRCNN`` state dict.

The release stores Flax checkpoints (msgpack, read by ``flax.training.checkpoints.restore_checkpoint``). Export one
to a plain ``.npz`` of ``/``-joined leaf names first, where JAX/Flax is installed (no pickle anywhere)::

    python -c "import sys, numpy as np; from flax.training import checkpoints; from flax.traverse_util import \
flatten_dict; s = checkpoints.restore_checkpoint(sys.argv[1], None); np.savez(sys.argv[2], **{'/'.join(map(str, k)): \
np.asarray(v) for k, v in flatten_dict(s).items()})" dito/checkpoints/demo_dito_large dito_large.npz

then::

    python tools/model_converters/dito_flax_to_mmengine.py dito_large.npz checkpoints/dito_vit-l16.pth

Detector files (``optimizer/target/{vision_model, frozen_vision_model, task_heads_0}``) and pre-trained files
(``model_state/params/visual/...``) are recognised. The ViT(s), the SimpleFpnV2 pyramid, the RPN, the Fast R-CNN
box head (convs, FCs and their LayerNorms), the learned temperature and, if the file has one, the mask head are
converted for ``configs/dito/dito-mask-rcnn_vit-l16-released_simplefpn_eval-only_lvis-v1-ov.py`` (``--no-mask-head``
for the box-only ``dito-faster-rcnn_..._lvis-v1-ov.py``); ``--background-embed`` takes the
background text embedding from the release's vocabulary ``.npy`` (row 0). See configs/dito/README.md ("Released
weights") for what the converted model does and does not reproduce.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
from converter_cli import save_state

from dense_align.dito.flax_keys import convert_dito_flax


def read_npz(path: str) -> dict:
    """The arrays of ``path`` (no pickled objects); exits with ``error: ...`` naming the file otherwise."""
    if not osp.isfile(path):
        sys.exit(f'error: no such file {path}')
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError) as err:
        sys.exit(f'error: {path} is not a .npz of plain arrays ({err})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='.npz of the flattened Flax state (see the module docstring)')
    parser.add_argument('dst', help='output .pth ({"state_dict", "meta"})')
    parser.add_argument('--text-dim', type=int, default=0,
                        help='text embedding width (default: the box head\'s class-predict width); equal to the ViT '
                             'width sets proj to the identity')
    parser.add_argument('--roi-size', type=int, default=7, help='RoIAlign output side of the box head (released 7)')
    parser.add_argument('--clip-layout', action='store_true',
                        help='convert the ViTs for a plain CLIP CLIPViT (class token, ln_pre; not equivalent)')
    parser.add_argument('--background-embed', default='',
                        help='.npy whose row 0 (or a (D,) array) is the background text embedding, e.g. the '
                             'release\'s lvis_embed.npy / bg_empty_embed.npy')
    parser.add_argument('--no-mask-head', action='store_true',
                        help='leave maskrcnn_head_fn out (for the box-only released config)')
    args = parser.parse_args()
    background = None
    if args.background_embed:
        if not osp.isfile(args.background_embed):
            sys.exit(f'error: no such file {args.background_embed}')
        background = np.load(args.background_embed, allow_pickle=False)
        background = background if background.ndim == 1 else background[0]
    flat = read_npz(args.src)
    text_dim = args.text_dim or next((int(v.shape[1]) for k, v in flat.items()
                                      if k.endswith('fastrcnn_head_fn/class-predict/kernel')), 0)
    try:
        state, notes = convert_dito_flax(flat, source=args.src, text_dim=text_dim, roi_size=args.roi_size,
                                         clip_layout=args.clip_layout, background=background,
                                         mask_head=not args.no_mask_head)
    except (KeyError, ValueError) as err:
        sys.exit(f'error: {err}')
    save_state(state, args.dst, dict(dito_flax=notes, source=osp.basename(args.src)))
    print(f'{args.src} ({notes["kind"]}): {len(state)} tensors -> {args.dst}')
    print(json.dumps(notes, indent=2))


if __name__ == '__main__':
    main()
