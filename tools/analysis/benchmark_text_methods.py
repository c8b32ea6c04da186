"""Step time of CCP, SyCL (WS2), B-PROP, SupReMix and RTD + contrastive against plain in-batch InfoNCE (SimCSE, supervised pairs) on the same
encoder and number of encoded texts per step, and B-PROP's attention extraction throughput (documents / s).

    python tools/analysis/benchmark_text_methods.py [--model shipped:all-MiniLM-L6-v2] [--texts 32] [--max-length 64]
        [--reps 5] [--docs 64]

A step is: forward, loss, backward, AdamW step. Texts per step: InfoNCE and CCP 16 pairs (32 texts); SyCL
``texts // 5`` queries x 4 passages; B-PROP ``texts // 2`` rows = ``texts`` (word set, document) sequences;
SupReMix ``texts`` labelled sentences (single-sample mode, the SupReMixLoss of configs/text/supremix/); RTD +
contrastive ``texts`` sentences (generator 1/4 wide, 50 x discriminator, InfoNCE over two dropout views). The
ratio is method / InfoNCE time (> 1: slower); pairs are timed alternately (``paired_timing.measure_pair``).
"""
import argparse
import os
import os.path as osp
import sys
import time

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from paired_timing import measure_pair  # noqa: E402


def sentences(n: int, words: int = 12) -> list:
    """Deterministic sentences."""
    vocab = ['market', 'storm', 'coast', 'earnings', 'minister', 'police', 'fire', 'rain', 'court', 'team', 'game',
             'report', 'city', 'river', 'union', 'bank']
    return [' '.join(vocab[(i * 7 + j * 3) % len(vocab)] for j in range(words + i % 5)) + '.' for i in range(n)]


def stepper(model, batch) -> callable:
    """One training step of ``model`` on ``batch`` (inputs, data_samples)."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    model.train()

    def step() -> None:
        losses = model(batch['inputs'], batch['data_samples'], mode='loss')
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optimizer.step()
        optimizer.zero_grad()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='shipped:all-MiniLM-L6-v2')
    parser.add_argument('--texts', type=int, default=32)
    parser.add_argument('--max-length', type=int, default=64)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--docs', type=int, default=64)
    parser.add_argument('--attention-length', type=int, default=256, help='B-PROP attention extraction max_length')
    args = parser.parse_args()
    from mmengine.registry import init_default_scope

    from text_align.data import bprop_collate, graded_list_collate, tokenize_collate
    from text_align.methods import document_term_weights
    from text_align.registry import MODELS
    init_default_scope('text_align')
    torch.manual_seed(0)
    encoder = dict(type='TextEncoder', model_path=args.model, pooling='mean', normalize=False,
                   max_length=args.max_length)
    texts, pairs = sentences(args.texts), args.texts // 2
    pair_rows = [dict(anchor=texts[i], positive=texts[i + pairs], language=0) for i in range(pairs)]
    pair_batch = tokenize_collate(pair_rows, args.model, columns=('anchor', 'positive'), max_length=args.max_length)
    baseline = stepper(MODELS.build(dict(type='SimCSE', encoder=encoder)), pair_batch)
    queries = args.texts // 5
    list_rows = [dict(query=texts[i], passages=texts[i + 1:i + 5], grades=[3, 2, 1, 0]) for i in range(queries)]
    bprop_rows = [dict(document=' '.join(texts[i:i + 3]), positive=' '.join(texts[i].split()[:3]),
                       negative=' '.join(texts[i + 1].split()[:2])) for i in range(args.texts // 2)]
    labelled = [dict(text=t, label=float(i % 7)) for i, t in enumerate(texts)]
    single_batch = tokenize_collate(labelled, args.model, columns=('text', ), max_length=args.max_length)
    methods = {
        'CCP': (dict(type='CCP', encoder=encoder, bank_size=4096), pair_batch),
        'SyCL-WS2': (dict(type='SyCL', encoder=encoder),
                     graded_list_collate(list_rows, args.model, max_length=args.max_length)),
        'B-PROP': (dict(type='BPROP', model_path=args.model),
                   bprop_collate(bprop_rows, args.model, max_length=2 * args.max_length)),
        'SupReMix': (dict(type='SupReMix', encoder=encoder, loss=dict(type='SupReMixLoss', temperature=0.07,
                                                                       num_hard_positives=4)), single_batch),
        'RTD+contr': (dict(type='RTDContrastive', encoder=encoder), single_batch),
    }
    print(f'model {args.model}, {args.texts} texts per step, max_length {args.max_length}, '
          f'{torch.get_num_threads()} threads')
    for name, (cfg, batch) in methods.items():
        ours, ref, _, _ = measure_pair(stepper(MODELS.build(cfg), batch), baseline, args.reps, 'cpu')
        print(f'{name:10s} {ours * 1000:8.1f} ms/step   InfoNCE {ref * 1000:8.1f} ms/step   ratio {ours / ref:.2f}')
    docs = [' '.join(sentences(6, 20)[i % 6:]) for i in range(args.docs)]
    start = time.perf_counter()
    document_term_weights([f'{i} {d}' for i, d in enumerate(docs)], args.model, max_length=args.attention_length,
                          batch_size=16, progress=False)
    elapsed = time.perf_counter() - start
    print(f'B-PROP attention extraction: {args.docs / elapsed:.1f} documents/s ({args.docs} documents, max_length '
          f'{args.attention_length}, batch 16, model load included)')


if __name__ == '__main__':
    main()
