"""Step time of SPACE-2 against plain in-batch InfoNCE (unsupervised SimCSE) at an equal number of turns per step.

    python tools/analysis/benchmark_space2.py [--model shipped:all-MiniLM-L6-v2] [--turns 32] [--max-length 64]
        [--reps 5] [--views 10] [--mlm-weight 0.1]

A step is: forward, loss, backward, AdamW step. SPACE-2 gets ``turns // 2`` labelled + ``turns // 2`` unlabelled
generated dialog turns (two dropout views each, projected into the view subspaces, the per-view soft SupCon losses,
plus an MLM pass per batch); InfoNCE gets the same ``turns`` texts, two dropout views each. The ratio is SPACE-2 /
InfoNCE time (> 1: slower); the two are timed alternately (``paired_timing.measure_pair``).
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from benchmark_text_methods import stepper  # noqa: E402
from paired_timing import measure_pair  # noqa: E402


def main() -> None:
    """Build both models on the same encoder and batch of turns, time them, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='shipped:all-MiniLM-L6-v2')
    parser.add_argument('--turns', type=int, default=32)
    parser.add_argument('--max-length', type=int, default=64)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--views', type=int, default=10, help='view subspaces trained (the first N of the 10)')
    parser.add_argument('--mlm-weight', type=float, default=0.1)
    args = parser.parse_args()
    from mmengine.registry import init_default_scope

    from text_align.data import context_row, dialog_collate, parse_turn, tokenize_collate
    from text_align.data.dialog_demo_corpus import generate_dialogs
    from text_align.losses import VIEWS
    from text_align.registry import MODELS
    init_default_scope('text_align')
    torch.manual_seed(0)
    turns = [parse_turn(t, i, 'generated') for d in generate_dialogs(4 * args.turns, seed=0)
             for i, t in enumerate(d['turns']) if t['speaker'] == 'user']
    rows = [context_row([t], 0, 1, ' [SEP] ') for t in turns]
    half = args.turns // 2
    for row in rows[half:args.turns]:
        row.update(labelled=False, frame=None)
    space2_batch = dialog_collate(rows[:args.turns], args.model, max_length=args.max_length)
    simcse_batch = tokenize_collate([dict(text=r['text']) for r in rows[:args.turns]], args.model, columns=('text', ),
                                    max_length=args.max_length)
    encoder = dict(type='TextEncoder', model_path=args.model, pooling='mean', normalize=False,
                   max_length=args.max_length)
    space2 = MODELS.build(dict(type='SPACE2', encoder=encoder, views=list(VIEWS[:args.views]),
                               mlm_weight=args.mlm_weight))
    simcse = MODELS.build(dict(type='SimCSE', encoder=encoder))
    ours, ref, _, _ = measure_pair(stepper(space2, space2_batch), stepper(simcse, simcse_batch), args.reps, 'cpu')
    print(f'model {args.model}, {args.turns} turns per step ({half} labelled + {args.turns - half} unlabelled), '
          f'max_length {args.max_length}, {args.views} views, MLM weight {args.mlm_weight}, '
          f'{torch.get_num_threads()} threads')
    print(f'SPACE-2 {ours * 1000:8.1f} ms/step   InfoNCE {ref * 1000:8.1f} ms/step   ratio {ours / ref:.2f}')


if __name__ == '__main__':
    main()
