"""B-PROP demo on gensim's Lee background corpus: the representative word sets the model's own attention samples for
two documents, then the re-ranking effect of a short B-PROP pre-training on a generated BEIR-format set (the same
fine-tuning from all-MiniLM-L6-v2 with and without it), over several seeds, on held-out queries.

The BEIR set (``<work-dir>/beir``): each Lee document (>= 4 sentences) is split into its lead sentence (the query)
and the rest (the document, the only relevant one: relevance 1); half the queries are the training split, the other
half the held-out test split; the corpus holds every document body. B-PROP pre-trains on the bodies only, so it
never sees a query. The re-ranker re-ranks the BM25 top ``--top-k`` of each test query.

    python tools/text/demo_bprop.py [--work-dir work_dirs/bprop_demo] [--seeds 0 1] [--pretrain-iters 30]
        [--finetune-iters 40] [--top-k 5] [--max-length 96]
    python tools/text/demo_bprop.py --data-only data/bprop_lee    # only the BEIR set, for the fine-tuning configs
"""
import argparse
import json
import os
import os.path as osp
import random
import resource
import statistics
import sys
import time
from typing import Dict, List

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')
MODEL = 'shipped:all-MiniLM-L6-v2'


def make_lead_beir(out: str, seed: int = 0, test_fraction: float = 0.5, max_docs: int = 0) -> str:
    """Write the lead-sentence BEIR folder (see the module docstring) and the bodies file.

    Args:
        out: output folder (``beir/`` and ``bodies.txt`` are written in it).
        seed: shuffling seed of the documents (which queries are held out).
        test_fraction: share of the queries in the test split.
        max_docs: use the first documents only (0: all).

    Returns:
        The BEIR folder.
    """
    from text_align.data import resolve_data_path, split_sentences
    with open(resolve_data_path('gensim:lee_background.cor'), encoding='utf-8', errors='replace') as f:
        docs = [s for s in (split_sentences(line, 20) for line in f) if len(s) >= 4]
    random.Random(seed).shuffle(docs)
    docs = docs[:max_docs] if max_docs else docs
    beir = osp.join(out, 'beir')
    os.makedirs(osp.join(beir, 'qrels'), exist_ok=True)
    n_test = int(round(len(docs) * test_fraction))
    with open(osp.join(beir, 'corpus.jsonl'), 'w', encoding='utf-8') as f:
        f.writelines(json.dumps(dict(_id=f'd{i}', title='', text=' '.join(s[1:]))) + '\n' for i, s in enumerate(docs))
    with open(osp.join(beir, 'queries.jsonl'), 'w', encoding='utf-8') as f:
        f.writelines(json.dumps(dict(_id=f'q{i}', text=s[0])) + '\n' for i, s in enumerate(docs))
    for split, ids in (('test', range(n_test)), ('train', range(n_test, len(docs)))):
        with open(osp.join(beir, 'qrels', f'{split}.tsv'), 'w', encoding='utf-8') as f:
            f.write('query-id\tcorpus-id\tscore\n' + ''.join(f'q{i}\td{i}\t1\n' for i in ids))
    with open(osp.join(out, 'bodies.txt'), 'w', encoding='utf-8') as f:
        f.writelines(' '.join(s[1:]) + '\n' for s in docs)
    print(f'BEIR set: {len(docs)} documents, {len(docs) - n_test} training / {n_test} test queries -> {beir}',
          flush=True)
    return beir


def pretrain(bodies: str, cache: str, seed: int, iters: int, batch: int, max_length: int, out: str) -> str:
    """B-PROP (ROP + MLM) from the shipped MiniLM on the bodies; the encoder is saved to ``out``."""
    from text_align.data import RepresentativeWordPairs, bprop_collate
    from text_align.methods import BPROP
    torch.manual_seed(seed)
    data = RepresentativeWordPairs(bodies, MODEL, max_length=max_length, skip_short_prob=0.0, cache_file=cache,
                                   seed=seed)
    model = BPROP(MODEL).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-5, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    for it in range(iters):
        rows = [data[int(i)] for i in rng.choice(len(data), batch, replace=False)]
        losses = model(bprop_collate(rows, MODEL, max_length=max_length)['inputs'], mode='loss')
        sum(losses.values()).backward()
        optimizer.step()
        optimizer.zero_grad()
        for group in optimizer.param_groups:
            group['lr'] = 2e-5 * (1 - (it + 1) / iters)
        if (it + 1) % 10 == 0:
            print(f'  B-PROP seed {seed} iteration {it + 1}: ROP {losses["loss_rop"].item():.4f} MLM '
                  f'{losses["loss_mlm"].item():.4f}', flush=True)
    return model.save_encoder(out)


def finetune_and_rerank(model_path: str, beir: str, seed: int, iters: int, batch: int, negatives: int,
                        max_length: int, top_k: int, loss: str) -> Dict[str, float]:
    """Fine-tune a ``CrossEncoderReranker`` on the training queries (BM25-hard negatives), re-rank the test
    queries' BM25 top ``top_k``; returns the metrics (x100)."""
    from text_align.data import BEIRRankingGroups, BEIRRerankPairs, cross_encoder_collate
    from text_align.evaluation import RerankMetric
    from text_align.methods import CrossEncoderReranker
    torch.manual_seed(seed)
    model = CrossEncoderReranker(model_path, loss=loss).train()
    data = BEIRRankingGroups(beir, 'train', num_negatives=negatives, bm25_top_k=30, seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    for it in range(iters):
        rows = [data[int(i)] for i in rng.choice(len(data), batch, replace=False)]
        loss_value = model(cross_encoder_collate(rows, model_path, max_length)['inputs'], rows, mode='loss')['loss_rank']
        loss_value.backward()
        optimizer.step()
        optimizer.zero_grad()
        for group in optimizer.param_groups:
            group['lr'] = 2e-5 * (1 - (it + 1) / iters)
    model.eval()
    pairs = BEIRRerankPairs(beir, 'test', top_k=top_k)
    metric = RerankMetric(beir, 'test')
    with torch.no_grad():
        for start in range(0, len(pairs), 32):
            rows = [pairs[i] for i in range(start, min(start + 32, len(pairs)))]
            metric.process({}, model(cross_encoder_collate(rows, model_path, max_length)['inputs'], rows,
                                     mode='predict'))
    return metric.compute_metrics(metric.results)


def bm25_metrics(beir: str, top_k: int) -> Dict[str, float]:
    """BM25's own ranking of the test queries' top ``top_k`` (x100)."""
    from text_align.data import BEIRRerankPairs
    from text_align.evaluation import RerankMetric
    metric = RerankMetric(beir, 'test')
    metric.process({}, [dict(r, score=r['bm25']) for r in BEIRRerankPairs(beir, 'test', top_k=top_k)])
    return metric.compute_metrics(metric.results)


def show_word_sets(bodies: str, cache: str, max_length: int) -> None:
    """Print the sampled (positive, negative) word sets of the first two documents and their top DFR words."""
    from text_align.data import RepresentativeWordPairs
    data = RepresentativeWordPairs(bodies, MODEL, max_length=max_length, skip_short_prob=0.0, cache_file=cache,
                                   max_docs=2)
    documents: Dict[str, List[dict]] = {}
    for i in range(len(data)):
        documents.setdefault(data[i]['document'], []).append(data[i])
    for d, (text, rows) in enumerate(documents.items()):
        print(f'document {d}: {text[:160]}...', flush=True)
        for row in rows[:5]:
            print(f'  positive [{row["positive"]}]  vs  negative [{row["negative"]}]', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/bprop_demo')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--pretrain-iters', type=int, default=30)
    parser.add_argument('--pretrain-batch', type=int, default=4, help='documents per B-PROP step (2 sequences each)')
    parser.add_argument('--finetune-iters', type=int, default=40)
    parser.add_argument('--finetune-batch', type=int, default=4, help='queries per step')
    parser.add_argument('--negatives', type=int, default=3)
    parser.add_argument('--loss', choices=('pairwise', 'listwise'), default='pairwise')
    parser.add_argument('--max-length', type=int, default=96)
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--max-docs', type=int, default=0, help='use only this many documents (0: all; smoke runs)')
    parser.add_argument('--data-only', metavar='OUT', help='only write the BEIR set (OUT/beir) and stop')
    args = parser.parse_args()
    if args.data_only:
        make_lead_beir(args.data_only)
        return
    start = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', torch.get_num_threads())))
    beir = make_lead_beir(args.work_dir, max_docs=args.max_docs)
    bodies, cache = osp.join(args.work_dir, 'bodies.txt'), osp.join(args.work_dir, 'attention_cache.json')
    show_word_sets(bodies, cache, args.max_length)
    results: Dict[str, List[Dict[str, float]]] = dict(bm25=[bm25_metrics(beir, args.top_k)], minilm=[], bprop=[])
    for seed in args.seeds:
        folder = pretrain(bodies, cache, seed, args.pretrain_iters, args.pretrain_batch, args.max_length,
                          osp.join(args.work_dir, f'bprop_seed{seed}'))
        for arm, path in (('minilm', MODEL), ('bprop', folder)):
            results[arm].append(finetune_and_rerank(path, beir, seed, args.finetune_iters, args.finetune_batch,
                                                    args.negatives, args.max_length, args.top_k, args.loss))
            print(f'seed {seed} {arm}: ' + ', '.join(f'{k} {v:.2f}' for k, v in results[arm][-1].items()), flush=True)
    lines = [f'# B-PROP demo ({" ".join(sys.argv[1:]) or "defaults"})', '',
             f'Re-ranking the BM25 top {args.top_k} of the held-out queries; mean +- sample std over seeds '
             f'{args.seeds}.', '', '| model | nDCG@10 | MRR@10 | MAP |', '|---|---|---|---|']
    for arm, name in (('bm25', 'BM25 alone'), ('minilm', 'MiniLM, fine-tuned'),
                      ('bprop', f'MiniLM + B-PROP {args.pretrain_iters} it, fine-tuned')):
        cells = []
        for key in ('nDCG@10', 'MRR@10', 'MAP'):
            values = [r[key] for r in results[arm]]
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f'{statistics.mean(values):.2f} +- {std:.2f}')
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    diffs = [b['nDCG@10'] - m['nDCG@10'] for b, m in zip(results['bprop'], results['minilm'])]
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
    lines += ['', f'nDCG@10 difference (B-PROP - none) per seed: {", ".join(f"{d:+.2f}" for d in diffs)}',
              f'wall {time.time() - start:.0f} s, process CPU {cpu:.0f} s, torch threads {torch.get_num_threads()}']
    report = '\n'.join(lines) + '\n'
    with open(osp.join(args.work_dir, 'report.md'), 'w', encoding='utf-8') as f:
        f.write(report)
    print(report, flush=True)


if __name__ == '__main__':
    main()
