"""Forward time and peak memory of our XCLIPRecognizer against transformers' XCLIPModel on the same weights, in one
process (ratio ours / transformers; < 1 means ours is faster or smaller).

    python tools/analysis/benchmark_xclip.py [--arch ViT-B/32 ViT-B/16] [--frames 8] [--batch 2] [--classes 400]

Random weights with the real sizes (no download). Both score ``--classes`` class names. transformers encodes the
class texts on every call; ours caches them while the class list and weights are unchanged, so two rows are
printed: ours as used (cached text) and ours with the text re-encoded each call (the cache cleared). Peak memory
is reported on CUDA only.
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.logging import MMLogger

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from dense_align.clip import CLIP_TEXT_ARCHS, CLIP_VIT_ARCHS  # noqa: E402
from dense_align.registry import MODELS  # noqa: E402
from dense_align.xclip import hf_to_original, original_to_ours  # noqa: E402
from paired_timing import measure_pair  # noqa: E402


def build_pair(arch: str, frames: int, class_names: list, device: str):
    """transformers' XCLIPModel and our recognizer with identical random weights."""
    from transformers import XCLIPConfig, XCLIPModel
    spec, text = CLIP_VIT_ARCHS[arch], CLIP_TEXT_ARCHS[arch]
    heads = max(1, spec['output_dim'] // 64)
    config = XCLIPConfig(
        text_config=dict(hidden_size=text['width'], intermediate_size=4 * text['width'],
                         num_hidden_layers=text['layers'], num_attention_heads=text['heads']),
        vision_config=dict(hidden_size=spec['width'], intermediate_size=4 * spec['width'],
                           num_hidden_layers=spec['layers'], num_attention_heads=spec['heads'],
                           image_size=spec['image_size'], patch_size=spec['patch_size'], num_frames=frames,
                           mit_hidden_size=spec['output_dim'], mit_intermediate_size=4 * spec['output_dim'],
                           mit_num_attention_heads=heads),
        projection_dim=spec['output_dim'], prompt_num_attention_heads=heads)
    torch.manual_seed(0)
    hf = XCLIPModel(config).eval().to(device)
    ours = MODELS.build(dict(type='XCLIPRecognizer', visual=dict(type='CrossFrameViT', arch=arch),
                             text_encoder=dict(type='CLIPTextTransformer', arch=arch), class_names=class_names,
                             num_frames=frames))
    ours.load_state_dict(original_to_ours(hf_to_original(hf.state_dict())), strict=True)
    return hf, ours.eval().to(device)


def main() -> None:
    """Parse the command line, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', nargs='+', default=['ViT-B/32', 'ViT-B/16'], help="CLIP ViT sizes ('tiny' to try)")
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--classes', type=int, default=400)
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    MMLogger.get_instance('xclip-benchmark', log_level='WARNING')
    names = [f'action number {i}' for i in range(args.classes)]
    print(f'{args.batch} videos x {args.frames} frames, {args.classes} classes, {args.device}, median of {args.reps}')
    print(f'{"arch":<10}{"case":<22}{"ours s":>9}{"hf s":>9}{"time":>7}{"memory":>8}')
    for arch in args.arch:
        hf, ours = build_pair(arch, args.frames, names, args.device)
        size = CLIP_VIT_ARCHS[arch]['image_size']
        clips = torch.randn(args.batch, args.frames, 3, size, size, device=args.device)
        input_ids = ours.tokenizer(names).to(args.device)

        def run_hf() -> None:
            with torch.no_grad():
                hf(input_ids=input_ids, pixel_values=clips)

        def run_ours() -> None:
            with torch.no_grad():
                ours(clips, mode='tensor')

        def run_ours_uncached() -> None:
            ours._text_cache._key = None
            run_ours()

        for case, fn in (('cached text', run_ours), ('text every call', run_ours_uncached)):
            t_ours, t_hf, m_ours, m_hf = measure_pair(fn, run_hf, args.reps, args.device)
            memory = f'{m_ours / m_hf:.2f}' if m_ours and m_hf else 'n/a'
            print(f'{arch:<10}{case:<22}{t_ours:>9.3f}{t_hf:>9.3f}{t_ours / t_hf:>7.2f}{memory:>8}')


if __name__ == '__main__':
    main()
