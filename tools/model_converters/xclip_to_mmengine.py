"""Convert X-CLIP weights (the original release's .pth, or a Hugging Face XCLIPModel folder / .safetensors / .bin)
into a checkpoint for XCLIPRecognizer (use it as ``load_from`` or with tools/test.py).

    python tools/model_converters/xclip_to_mmengine.py k400_32_8.pth xclip_b32_8f.pth --trust-checkpoint
    python tools/model_converters/xclip_to_mmengine.py xclip-base-patch32/ xclip_b32_8f.pth

The original .pth files also pickle their yacs config, which safe loading refuses: pass --trust-checkpoint only for
files you trust. The frame count the model was trained with is printed (the config's num_frames must match it).
"""
import argparse
import os.path as osp
import sys

import torch
from converter_cli import add_trust_argument, save_state

from align_core.checkpoint import UnsafeCheckpointError, safe_load
from dense_align.xclip import hf_to_original, is_hf_xclip, original_to_ours


def read_state(path: str, trust: bool) -> dict:
    """Tensors of an X-CLIP checkpoint in any supported format, unwrapped from ``model`` / ``state_dict``."""
    if osp.isdir(path):
        candidates = [osp.join(path, n) for n in ('model.safetensors', 'pytorch_model.bin') if
                      osp.isfile(osp.join(path, n))]
        if not candidates:
            raise FileNotFoundError(f'{path} holds neither model.safetensors nor pytorch_model.bin')
        path = candidates[0]
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path)
    state = safe_load(path, trust=trust or None)
    for wrapper in ('model', 'state_dict'):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise ValueError(f'{path} holds a {type(state).__name__}, expected a state dict')
    return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}


def main() -> None:
    """Parse the command line and convert."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='original X-CLIP .pth, or a HF XCLIPModel folder / file')
    parser.add_argument('dst', help='output .pth')
    add_trust_argument(parser)
    args = parser.parse_args()
    try:
        state = read_state(args.src, args.trust_checkpoint)
    except (FileNotFoundError, ValueError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')
    source = 'Hugging Face XCLIPModel' if is_hf_xclip(state) else 'original X-CLIP'
    ours = original_to_ours(hf_to_original(state) if is_hf_xclip(state) else state)
    if 'mit.positional_embedding' not in ours:
        sys.exit(f'error: {args.src} has no mit.positional_embedding: not an X-CLIP checkpoint '
                 f'(first keys: {list(state)[:3]})')
    frames = ours['mit.positional_embedding'].shape[1]
    meta = dict(source=osp.basename(args.src.rstrip('/')), format=source, num_frames=frames)
    save_state(ours, args.dst, meta)
    print(f'wrote {len(ours)} tensors ({source}, trained with num_frames={frames}) to {args.dst}')


if __name__ == '__main__':
    main()
