"""Throughput of our text training step and of ``encode`` against sentence-transformers on the same model, batch and
sequence length, in one process (ratios ours / sentence-transformers in time: < 1 means ours is faster).

    python tools/analysis/benchmark_text_training.py [--batch 32] [--max-length 64] [--reps 5] [--model shipped:...]

Training step: tokenise (anchor, positive) pairs, forward, MultipleNegativesRankingLoss (ours: InBatchInfoNCELoss
at temperature 0.05), backward, AdamW step; sentence-transformers runs the same step with its model and loss
(what its trainer does per batch). Encoding: ``encode`` of 512 sentences. Peak memory is reported on CUDA only.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.logging import MMLogger  # noqa: E402

from paired_timing import measure_pair  # noqa: E402
from text_align.encoders import TextEncoder, resolve_model_path  # noqa: E402
from text_align.losses import InBatchInfoNCELoss  # noqa: E402


def sentences(n: int, words: int) -> list:
    """Deterministic sentences of about ``words`` words."""
    vocab = ['model', 'contrastive', 'sentence', 'embedding', 'retrieval', 'batch', 'negative', 'query', 'passage',
             'training', 'language', 'similar', 'different', 'vector', 'space', 'learning']
    return [' '.join(vocab[(i * 7 + j * 3) % len(vocab)] for j in range(words + i % 5)) for i in range(n)]


def main() -> None:
    """Parse the command line, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='shipped:all-MiniLM-L6-v2')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--max-length', type=int, default=64)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    MMLogger.get_instance('text-benchmark', log_level='WARNING')
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses.multiple_negatives_ranking import \
        MultipleNegativesRankingLoss

    path = resolve_model_path(args.model)
    ours = TextEncoder(path, max_length=args.max_length).to(args.device).train()
    ours_loss = InBatchInfoNCELoss(temperature=0.05, gather=False)
    ours_opt = torch.optim.AdamW(ours.parameters(), lr=1e-5)
    ref = SentenceTransformer(path, device=args.device)
    ref.max_seq_length = args.max_length
    ref.train()
    ref_loss = MultipleNegativesRankingLoss(ref, scale=20.0)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-5)
    anchors, positives = sentences(args.batch, 12), sentences(args.batch, 20)[::-1]
    labels = torch.zeros(args.batch, device=args.device)

    def ours_step() -> None:
        loss = ours_loss(ours.embed(anchors), ours.embed(positives))
        ours_opt.zero_grad(set_to_none=True)
        loss.backward()
        ours_opt.step()

    def ref_step() -> None:
        features = [{k: v.to(args.device) if torch.is_tensor(v) else v for k, v in ref.tokenize(texts).items()}
                    for texts in (anchors, positives)]
        loss = ref_loss(features, labels)
        ref_opt.zero_grad(set_to_none=True)
        loss.backward()
        ref_opt.step()

    corpus = sentences(512, 16)
    print(f'{args.model}, batch {args.batch} pairs, max length {args.max_length}, {args.device}, median of {args.reps}')
    print(f'{"case":<16}{"ours /s":>11}{"s-t /s":>11}{"time":>7}{"memory":>8}')
    for case, ours_fn, ref_fn, count in (
            ('training step', ours_step, ref_step, 2 * args.batch),
            ('encode 512', lambda: ours.encode(corpus, batch_size=64),
             lambda: ref.encode(corpus, batch_size=64), len(corpus))):
        t_ours, t_ref, m_ours, m_ref = measure_pair(ours_fn, ref_fn, args.reps, args.device)
        memory = f'{m_ours / m_ref:.2f}' if m_ours and m_ref else 'n/a'
        print(f'{case:<16}{count / t_ours:>11.1f}{count / t_ref:>11.1f}{t_ours / t_ref:>7.2f}{memory:>8}')


if __name__ == '__main__':
    main()
