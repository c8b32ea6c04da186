"""DreamLIP and uCLIP measurements.

  step     DreamLIP's training step time over plain CLIP's at equal batch (the cost of the sub-captions and of the
           grouping loss), tiny CPU models by default.
  uclip    uCLIP's head-only training throughput with cached (memory-mapped) banks vs re-encoding the bank items
           with the frozen encoders at every step.
  zeroseg  zero-shot segmentation mIoU (and the CLIP image embeddings' own R@1 is in the training logs) of trained
           checkpoints on the demo masks: ``--checkpoints a.pth b.pth --config cfg.py --data-root data/demo_shapes``.

Usage: python tools/analysis/benchmark_dreamlip.py {step,uclip,zeroseg} [options]
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
import warnings

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'plugins'))

import dense_align  # noqa: E402,F401
from dense_align.registry import MODELS  # noqa: E402
from mmengine.structures import BaseDataElement  # noqa: E402

VIT = dict(type='CLIPViT', arch=dict(patch_size=8, width=64, layers=2, heads=4, output_dim=64, image_size=64),
           out_indices=(-1, ), with_embeddings=True)
TEXT = dict(type='CLIPTextTransformer', arch=dict(width=64, layers=2, heads=4, output_dim=64), context_length=32)


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def bench_step(batch: int, num_text: int, repeats: int) -> None:
    """Forward + backward time per step of DreamLIP vs CLIP on the same batch."""
    torch.manual_seed(0)
    images = torch.randn(batch, 3, 64, 64)
    samples = [BaseDataElement(metainfo=dict(caption=f'a photo of {i}',
                                             sub_captions=[f'a sentence {i} {j}.' for j in range(num_text)]))
               for i in range(batch)]
    results = {}
    variants = (('clip', dict(type='CLIPPretrainer')), ('dreamlip', dict(type='DreamLIPPretrainer')),
                ('no_grouping', dict(type='DreamLIPPretrainer', use_grouping_loss=False)))
    for name, cfg in variants:
        model = MODELS.build(dict(cfg, image_encoder=VIT, text_encoder=TEXT))

        def step():
            losses = model(images, samples, mode='loss')
            sum(v for k, v in losses.items() if k.startswith('loss')).backward()

        results[name] = _time(step, repeats)
    print(f'batch {batch}, num_text {num_text}: CLIP {1e3 * results["clip"]:.1f} ms/step, DreamLIP '
          f'{1e3 * results["dreamlip"]:.1f} ms/step, ratio {results["dreamlip"] / results["clip"]:.2f}x '
          f'(without the grouping loss {1e3 * results["no_grouping"]:.1f} ms/step; torch threads '
          f'{torch.get_num_threads()})')


def bench_uclip(batch: int, bank_size: int, repeats: int) -> None:
    """Head-only steps with memory-mapped banks vs re-encoding the bank texts at each step."""
    from dense_align.uclip import UCLIPHead, build_bank, soft_retrieve, uclip_losses
    torch.manual_seed(0)
    text_encoder = MODELS.build(TEXT).eval().requires_grad_(False)
    from dense_align.clip import ClipBPETokenizer
    tokenizer = ClipBPETokenizer(context_length=32)
    items = [f'bank sentence number {i}' for i in range(bank_size)]

    def encode(texts):
        return text_encoder(tokenizer(list(texts)))

    heads = UCLIPHead(64, 512), UCLIPHead(64, 512)
    optim = torch.optim.AdamW([p for h in heads for p in h.parameters()], lr=1e-3)
    captions = [f'an english caption {i}' for i in range(batch)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with warnings.catch_warnings():  # a read-only memory map
            warnings.simplefilter('ignore', UserWarning)
            bank = torch.from_numpy(build_bank(osp.join(tmp, 'bank.npy'), items, encode))
        build_time = time.perf_counter() - start

        def step(bank_fn):
            with torch.no_grad():
                query = encode(captions)
                pseudo = soft_retrieve(query, bank_fn(), 0.01)
            losses = uclip_losses(heads[0](pseudo), heads[0](query), heads[1](query), heads[1](pseudo))
            optim.zero_grad()
            sum(losses.values()).backward()
            optim.step()

        cached = _time(lambda: step(lambda: bank), repeats)
        reencode = _time(lambda: step(lambda: encode(items)), max(1, repeats // 4))
    print(f'bank {bank_size} texts, batch {batch}: building the cache once {build_time:.2f} s; head-only step with '
          f'the cached bank {1e3 * cached:.1f} ms ({batch / cached:.0f} captions/s), re-encoding the bank every step '
          f'{1e3 * reencode:.1f} ms ({batch / reencode:.0f} captions/s)')


def eval_zeroseg(config: str, checkpoints, data_root: str, limit: int) -> None:
    """Zero-shot segmentation mIoU of each checkpoint on the demo validation masks."""
    from mmengine.config import Config
    from dense_align.datasets.demo_shapes import CLASSES
    from dense_align.dreamlip.zero_shot_segmentation import evaluate_demo_segmentation
    cfg = Config.fromfile(config)
    for ckpt in checkpoints:
        model_cfg = Config.fromfile(ckpt.split('@')[1]).model if '@' in ckpt else cfg.model
        path = ckpt.split('@')[0]
        model = MODELS.build(model_cfg).eval()
        model.load_state_dict(torch.load(path, map_location='cpu', weights_only=False)['state_dict'], strict=False)
        out = evaluate_demo_segmentation(model, data_root, CLASSES, limit)
        print(f'{path}: zero-shot segmentation mIoU {out["miou"]:.2f} (background prompt, all pixels), '
              f'{out["miou_objects"]:.2f} (object pixels only) on {out["images"]} val images')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('what', choices=['step', 'uclip', 'zeroseg'])
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--num-text', type=int, default=6)
    parser.add_argument('--bank-size', type=int, default=2048)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--config', help='zeroseg: model config of the checkpoints')
    parser.add_argument('--checkpoints', nargs='*', default=[], help='zeroseg: PATH or PATH@CONFIG')
    parser.add_argument('--data-root', default='data/demo_shapes')
    parser.add_argument('--limit', type=int, default=64)
    args = parser.parse_args()
    if args.what == 'step':
        bench_step(args.batch, args.num_text, args.repeats)
    elif args.what == 'uclip':
        bench_uclip(args.batch, args.bank_size, args.repeats)
    else:
        eval_zeroseg(args.config, args.checkpoints, args.data_root, args.limit)


if __name__ == '__main__':
    main()
