"""Speed and peak memory of our CLIP image encoders against open_clip's, on the same weights and inputs, in one
process. Prints ratios ours / open_clip (< 1 means ours is faster or smaller).

    python tools/analysis/benchmark_clip_encoders.py [--reps 5] [--batch 8] [--device cpu|cuda] [--tiny]

Cases: RN50 and ViT-B/16 forward at batch x 224, a training step (forward + backward) of each, and the dense
forward at 512 x 512 (ours returns the dense embedding map too; open_clip's RN50 runs its trunk only, since its
attention pool is fixed to 7 x 7, and its ViT is built for 512 inputs and returns the pooled embedding only).
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Dict, List, Tuple

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

import open_clip  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from paired_timing import measure_pair  # noqa: E402

from dense_align.clip import CLIPResNet, CLIPViT  # noqa: E402


def build_pairs(tiny: bool, device: str) -> Dict[str, Tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module,
                                                              torch.nn.Module]]:
    """(open_clip, ours) image towers on identical weights at 224, and the same at 512 for the dense case."""
    torch.manual_seed(0)
    if tiny:
        rn_ref = open_clip.modified_resnet.ModifiedResNet([1, 1, 1, 1], 32, 8, 224, 16)
        rn_arch = dict(layers=(1, 1, 1, 1), width=16, output_dim=32, image_size=224)
        vit_kw = dict(patch_size=16, width=64, layers=2, heads=2, mlp_ratio=4.0, output_dim=32,
                      act_layer=open_clip.transformer.QuickGELU)
        vit_arch = dict(patch_size=16, width=64, layers=2, heads=2, output_dim=32)
    else:
        rn_ref = open_clip.create_model('RN50-quickgelu', pretrained=None).visual
        rn_arch = 'RN50'
        vit_kw = dict(patch_size=16, width=768, layers=12, heads=12, mlp_ratio=4.0, output_dim=512,
                      act_layer=open_clip.transformer.QuickGELU)
        vit_arch = dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512)
    rn = CLIPResNet(rn_arch, with_attnpool=True)
    rn.load_state_dict(rn_ref.state_dict())
    vit_ref = open_clip.transformer.VisionTransformer(image_size=224, **vit_kw)
    vit = CLIPViT(dict(vit_arch, image_size=224), with_embeddings=True)
    vit.load_state_dict(vit_ref.state_dict())
    vit_ref512 = open_clip.transformer.VisionTransformer(image_size=512, **vit_kw)
    vit512 = CLIPViT(dict(vit_arch, image_size=512), with_embeddings=True)
    vit512.load_state_dict(vit_ref512.state_dict())
    return {name: tuple(m.to(device) for m in pair) for name, pair in
            dict(RN50=(rn_ref, rn, rn_ref, rn), **{'ViT-B/16': (vit_ref, vit, vit_ref512, vit512)}).items()}


def run(args: argparse.Namespace) -> List[str]:
    """Run every case; return the report lines."""
    device = args.device
    lines = [f'{"case":34s} {"ours s":>9s} {"ref s":>9s} {"time":>6s} {"ours MB":>9s} {"ref MB":>9s} {"mem":>6s}']
    print(lines[0], flush=True)
    for name, (ref, ours, ref512, ours512) in build_pairs(args.tiny, device).items():
        name += ' (tiny)' if args.tiny else ''
        x224 = torch.randn(args.batch, 3, 224, 224, device=device)
        x512 = torch.randn(1, 3, 512, 512, device=device)

        def infer(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
            def fn() -> None:
                model.eval()
                with torch.no_grad():
                    model(x)
            return fn

        def train_step(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
            def fn() -> None:
                model.train()
                model.zero_grad(set_to_none=True)
                out = model(x)
                (out[-2] if isinstance(out, tuple) else out).float().pow(2).mean().backward()
            return fn

        ref_trunk512 = ref512
        if name.startswith('RN50'):
            ref_trunk512 = lambda x: ref512.forward_intermediates(x, intermediates_only=True)  # noqa: E731
        cases = [
            (f'{name} forward {args.batch}x224', infer(ours, x224), infer(ref, x224)),
            (f'{name} train step {args.batch}x224', train_step(ours, x224), train_step(ref, x224)),
            (f'{name} dense forward 1x512', infer(ours512, x512), infer_callable(ref_trunk512, x512)),
        ]
        for label, ours_fn, ref_fn in cases:
            t_ours, t_ref, m_ours, m_ref = measure_pair(ours_fn, ref_fn, args.reps, device)
            mem = ('      n/a       n/a    n/a' if m_ours is None else
                   f'{m_ours / 2**20:9.1f} {m_ref / 2**20:9.1f} {m_ours / max(m_ref, 1):6.2f}')
            lines.append(f'{label:34s} {t_ours:9.4f} {t_ref:9.4f} {t_ours / t_ref:6.2f} {mem}')
            print(lines[-1], flush=True)
    return lines


def infer_callable(model: Callable, x: torch.Tensor) -> Callable[[], None]:
    """No-grad call of a module or function (open_clip's RN50 trunk)."""
    def fn() -> None:
        if isinstance(model, torch.nn.Module):
            model.eval()
        with torch.no_grad():
            model(x)
    return fn


def main() -> None:
    """Parse the command line and print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--tiny', action='store_true', help='tiny models (a smoke run)')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, open_clip {open_clip.__version__}, device {args.device}, '
          f'threads {torch.get_num_threads()}, reps {args.reps}')
    run(args)


if __name__ == '__main__':
    main()
