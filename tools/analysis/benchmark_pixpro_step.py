"""Throughput and peak memory of one PixPro training step against a plain BYOL step on the same backbone, in one
process: the pixel-level overhead as a ratio (PixPro / BYOL; > 1 means PixPro is slower or larger).

    python tools/analysis/benchmark_pixpro_step.py [--depth 50] [--size 224] [--batch 8] [--reps 5] [--device cuda]

Both steps are forward + backward + LARS update of the same model class: PixPro with the pixel-propagation loss
(paper settings: 4096-256 projector, gamma 2, T 0.7), BYOL with only the instance branch (projector + predictor on
the pooled C5), both with the momentum encoder. The model builds only the branches its loss weights use, so the
BYOL step has no pixel projector or propagation module (neither online nor momentum). Peak memory is reported on
CUDA only.
"""
import argparse
import os.path as osp
import sys
from typing import Callable

import torch
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from dense_align.pixpro import LARS, PixPro  # noqa: E402
from paired_timing import measure_pair  # noqa: E402


def training_step(loss_weights: dict, depth: int, batch: int, size: int, device: str) -> Callable[[], None]:
    """A closure running one training step of a PixPro model with ``loss_weights`` on a fixed random batch."""
    torch.manual_seed(0)
    model = PixPro(backbone=dict(type='mmdet.ResNet', depth=depth, out_indices=(3,), norm_eval=False),
                   in_channels=2048 if depth >= 50 else 512, loss_weights=loss_weights, total_iters=1000)
    model.init_weights()
    model.to(device).train()
    optimizer = LARS([p for p in model.parameters() if p.requires_grad], lr=0.1, weight_decay=1e-5)
    views = [torch.randint(0, 256, (2, 3, size, size), dtype=torch.uint8) for _ in range(batch)]
    samples = []
    for _ in range(batch):
        sample = BaseDataElement()
        sample.view_boxes = torch.tensor([[0.0, 0.0, 0.8, 0.9], [0.3, 0.1, 1.0, 1.0]])
        samples.append(sample)
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)

    def step() -> None:
        losses = model(**data, mode='loss')
        optimizer.zero_grad(set_to_none=True)
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optimizer.step()

    step.model = model
    return step


def main() -> None:
    """Parse the command line, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--depth', type=int, default=50, choices=(18, 34, 50, 101))
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    MMLogger.get_instance('pixpro-benchmark', log_level='WARNING')  # no per-parameter init report

    pixpro = training_step(dict(propagation=1.0), args.depth, args.batch, args.size, args.device)
    byol = training_step(dict(propagation=0.0, instance=1.0), args.depth, args.batch, args.size, args.device)
    assert not hasattr(byol.model, 'projector'), 'the BYOL step must not build the pixel projector'

    t_pix, t_byol, m_pix, m_byol = measure_pair(pixpro, byol, args.reps, args.device)
    print(f'ResNet-{args.depth}, {args.batch} x 2 views of {args.size} px, {args.device}, median of {args.reps}')
    print(f'{"step":<8}{"images/s":>10}{"peak MiB":>10}')
    for name, seconds, peak in (('PixPro', t_pix, m_pix), ('BYOL', t_byol, m_byol)):
        mib = f'{peak / 2**20:.0f}' if peak is not None else 'n/a'
        print(f'{name:<8}{args.batch / seconds:>10.2f}{mib:>10}')
    memory = f', memory {m_pix / m_byol:.2f}' if m_pix and m_byol else ''
    print(f'PixPro / BYOL: time {t_pix / t_byol:.2f}{memory}')


if __name__ == '__main__':
    main()
