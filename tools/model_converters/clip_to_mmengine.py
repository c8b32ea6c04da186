"""Convert a CLIP checkpoint (OpenAI TorchScript, OpenAI/open_clip state dict, .bin, .safetensors, Hugging Face) to a
plain state dict that mmdet/mmseg ``init_cfg=dict(type='Pretrained', checkpoint=...)`` reads.

    python tools/model_converters/clip_to_mmengine.py RN50.pt rn50_visual.pth --tower visual [--image-size 512]
    python tools/model_converters/clip_to_mmengine.py ViT-B-16.pt vitb16_text.pth --tower text [--context-length 13]
    python tools/model_converters/clip_to_mmengine.py model.safetensors clip_both.pth --tower both

``visual`` writes the image tower under the names of our CLIPResNet / CLIPViT (use it as the backbone's
``init_cfg``), ``text`` the text tower under CLIPTextTransformer's names, ``both`` OpenAI's layout (image tower under
``visual.``; select it with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='visual.')``).
"""
import argparse
import os.path as osp
import sys
import time

from converter_cli import save_state

from dense_align.clip import clip_tower, read_clip_checkpoint
from dense_align.clip.layers import resize_pos_embed


def resize_image_positions(state: dict, image_size: int, patch_or_stride: int) -> None:
    """Resize the image tower's positional embedding (ViT or attention pool) for ``image_size`` inputs, in place."""
    for key in ('positional_embedding', 'attnpool.positional_embedding'):
        if key in state:
            rows = state[key].shape[0] - 1
            side = int(round(rows**0.5))
            new = image_size // patch_or_stride
            state[key] = resize_pos_embed(state[key], 1, (side, side), (new, new))
            print(f'  resized {key}: {side}x{side} -> {new}x{new} grid')


def main() -> None:
    """Parse the command line and convert."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='CLIP checkpoint in any supported format')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument('--tower', choices=('visual', 'text', 'both'), default='visual')
    parser.add_argument('--image-size', type=int, help='resize image positional embeddings for this input size')
    parser.add_argument('--context-length', type=int, help='cut text positional embeddings to this many tokens')
    args = parser.parse_args()

    start = time.time()
    print(f'reading {args.src} ...', flush=True)
    state = read_clip_checkpoint(args.src)
    print(f'  {len(state)} tensors, {sum(v.numel() for v in state.values()) / 1e6:.1f} M values', flush=True)
    visual, text = clip_tower(state, 'visual'), clip_tower(state, 'text')
    if args.image_size and visual:
        is_vit = 'class_embedding' in visual
        resize_image_positions(visual, args.image_size, visual['conv1.weight'].shape[-1] if is_vit else 32)
    if args.context_length and 'positional_embedding' in text:
        text['positional_embedding'] = text['positional_embedding'][:args.context_length]
        print(f'  text positions cut to {args.context_length}')
    if args.tower == 'visual':
        out = visual
    elif args.tower == 'text':
        out = text
    else:
        out = {**{f'visual.{k}': v for k, v in visual.items()}, **text}
        if 'logit_scale' in state:
            out['logit_scale'] = state['logit_scale']
    if not out:
        sys.exit(f'error: {args.src} holds no {args.tower} tower')
    print(f'writing {len(out)} tensors ({args.tower}) to {args.dst} ...', flush=True)
    save_state(out, args.dst, dict(source=osp.basename(args.src), tower=args.tower))
    print(f'done in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
