"""CCP demo on gensim's Lee corpora: Lee document-similarity Spearman (x100) of all-MiniLM-L6-v2 before and after a
short CCP run on Lee background sentence windows, and Tatoeba-style bitext accuracy on a generated parallel set, each
without and with whitening fitted on background sentences.

The parallel set (``--parallel-out``, two line-aligned files): the sentences of the 50 held-out Lee documents
(``lee.cor``, never trained on) and a generated noisy "translation" of each (:func:`noisy_translation`: function
words dropped, a quarter of the remaining words replaced by random words of the set, word order shuffled). There
is no second language offline; this tests retrieval of a sentence from a distorted rendering of it, not
cross-lingual transfer.

    python tools/text/demo_ccp.py [--iters 30] [--batch 16] [--whiten-sentences 2000] [--parallel-out DIR]
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')
CONFIG = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                  'configs/text/ccp/ccp_minilm-l6_1xb32-100it_lee-windows.py')


def spearman(model, documents, ratings, whiten: bool) -> float:
    """Spearman x100 of the document cosines against the ratings' upper triangle."""
    from scipy.stats import spearmanr
    emb = torch.from_numpy(model.encoder.encode(documents, batch_size=8))
    if whiten:
        emb = model.whitening(emb)
    emb = torch.nn.functional.normalize(emb.double(), dim=1).numpy()
    upper = np.triu_indices(len(documents), k=1)
    return 100 * spearmanr((emb @ emb.T)[upper], ratings[upper])[0]


FUNCTION_WORDS = frozenset('a an the of to in on at by for with from and or but is are was were be been it its this '
                           'that as has have had will would he she they we said says'.split())


def noisy_translation(sentence: str, vocabulary: list, rng: np.random.Generator, replace: float = 0.25) -> str:
    """The generated "translation" of a sentence: lower-cased words without function words, each replaced by a random
    word of ``vocabulary`` with probability ``replace``, in shuffled order.

    Args:
        sentence: the source sentence.
        vocabulary: words to draw replacements from.
        rng: numpy generator.
        replace: replacement probability per word.

    Returns:
        The target sentence.
    """
    words = [w for w in sentence.lower().split() if w.strip('.,;:"\'') not in FUNCTION_WORDS]
    words = [str(rng.choice(vocabulary)) if rng.random() < replace else w for w in words]
    return ' '.join(words[i] for i in rng.permutation(len(words)))


def parallel_set(out: str, seed: int = 0) -> tuple:
    """Write ``src.txt`` / ``tgt.txt`` (see the module docstring) into ``out``; return the two sentence lists."""
    from text_align.data import split_sentences
    from text_align.evaluation import lee_documents
    source = [s for doc in lee_documents() for s in split_sentences(doc, 30)]
    vocabulary = sorted({w.lower() for s in source for w in s.split() if w.isalpha()} - FUNCTION_WORDS)
    rng = np.random.default_rng(seed)
    target = [noisy_translation(s, vocabulary, rng) for s in source]
    os.makedirs(out, exist_ok=True)
    for name, lines in (('src.txt', source), ('tgt.txt', target)):
        with open(osp.join(out, name), 'w', encoding='utf-8') as f:
            f.writelines(line + '\n' for line in lines)
    return source, target


def bitext(model, source: list, target: list, whiten: bool) -> float:
    """Mean of the two directions' nearest-neighbour accuracy (%)."""
    from text_align.evaluation import bitext_accuracy
    emb = [torch.from_numpy(model.encoder.encode(t, batch_size=32)) for t in (source, target)]
    if whiten:
        emb = [model.whitening(e) for e in emb]
    return bitext_accuracy(emb[0].double().numpy(), emb[1].double().numpy())['mean']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--whiten-sentences', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--parallel-out', default='work_dirs/ccp_demo/parallel')
    args = parser.parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from text_align.data import SentenceWindowPairs, gensim_test_data, split_sentences, tokenize_collate
    from text_align.evaluation import lee_documents
    from text_align.registry import MODELS
    init_default_scope('text_align')
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    documents, ratings = lee_documents(), np.loadtxt(gensim_test_data('similarities0-1.txt'))
    with open(gensim_test_data('lee_background.cor'), encoding='utf-8', errors='replace') as f:
        background = [s for line in f for s in split_sentences(line, 30)][:args.whiten_sentences]
    source, target = parallel_set(args.parallel_out, args.seed)
    print(f'parallel set: {len(source)} sentence pairs -> {args.parallel_out}; e.g. {source[0]!r} -> {target[0]!r}',
          flush=True)

    def report(stage: str) -> None:
        model.eval()
        raw = spearman(model, documents, ratings, whiten=False)
        model.fit_whitening(torch.from_numpy(model.encoder.encode(background, batch_size=64)))
        print(f'{stage}: Lee Spearman x100 raw {raw:.2f}, whitened {spearman(model, documents, ratings, True):.2f}; '
              f'bitext accuracy (mean of both directions, %) raw {bitext(model, source, target, False):.2f}, '
              f'whitened {bitext(model, source, target, True):.2f}', flush=True)

    report('before')
    data = SentenceWindowPairs(cfg.train_dataloader.dataset.ann_file, window=2, min_chars=30)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.optim_wrapper.optimizer.lr, weight_decay=0.01)
    rng = np.random.default_rng(args.seed)
    model.train()
    for it in range(args.iters):
        rows = [data[int(i)] for i in rng.choice(len(data), args.batch, replace=False)]
        batch = tokenize_collate(rows, cfg.model_path, columns=('anchor', 'positive'), max_length=64)
        loss = model(batch['inputs'], batch['data_samples'], mode='loss')['loss_contrastive']
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        for group in optimizer.param_groups:
            group['lr'] = cfg.optim_wrapper.optimizer.lr * (1 - (it + 1) / args.iters)
        if (it + 1) % 10 == 0:
            print(f'iteration {it + 1}: loss {loss.item():.4f}', flush=True)
    report(f'after {args.iters} CCP iterations (batch {args.batch})')


if __name__ == '__main__':
    main()
