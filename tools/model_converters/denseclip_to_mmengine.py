"""Convert a released DenseCLIP checkpoint (raoyongming/DenseCLIP: mmseg 0.x segmentation, mmdet 2.x detection) into
a checkpoint of our DenseCLIP model built from CONFIG (use it with tools/test.py or as ``load_from``).

    python tools/model_converters/denseclip_to_mmengine.py denseclip_fpn_res50.pth \\
        configs/denseclip/denseclip_rn50_fpn_8xb4-80k_ade20k-512x512.py denseclip_rn50_ade20k.pth

tools/test.py also reads the released files directly (the layout is recognised at load); see README.md here for
which file goes with which config. The conversion fails, naming the keys, unless the renamed weights cover the
model exactly (no missing, no unexpected key, equal shapes).
"""
import argparse
import os.path as osp
import sys

import torch
from converter_cli import add_trust_argument, read_checkpoint_or_exit, save_state

import dense_align  # noqa: F401  (registers the models)
from dense_align.denseclip.released_checkpoint import ShapesOnly, convert_for_model
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, init_default_scope


def build_model_shapes(cfg: Config) -> torch.nn.Module:
    """Build the config's model on the meta device (names and shapes only: fast, no memory, nothing loaded)."""
    init_default_scope(cfg.get('default_scope', 'dense_align'))
    with ShapesOnly():
        return MODELS.build(cfg.model)


def main() -> None:
    """Parse the command line and convert."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='released DenseCLIP .pth')
    parser.add_argument('config', help='our DenseCLIP config the weights are for')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    add_trust_argument(parser)
    args = parser.parse_args()
    checkpoint = read_checkpoint_or_exit(args.src, args.trust_checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model_shapes(cfg)
    try:
        state = convert_for_model(checkpoint, model, osp.basename(args.src))
    except ValueError as err:
        sys.exit(f'error: {err}')
    if state is None:
        sys.exit(f'error: {args.src} is not a released DenseCLIP checkpoint (no contexts / gamma / context_decoder.* '
                 f'keys; first keys: {list(checkpoint.get("state_dict", checkpoint))[:3]})')
    meta = dict(source=osp.basename(args.src), config=osp.basename(args.config), format='raoyongming/DenseCLIP release')
    save_state(state, args.dst, meta)
    print(f'wrote {len(state)} tensors for {type(model).__name__} (no missing or unexpected keys) to {args.dst}')


if __name__ == '__main__':
    main()
