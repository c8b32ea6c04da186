"""Fit CCP's whitening on a corpus and save it into a copy of the checkpoint (``whitening.*`` buffers), so that
the model's ``predict``/``tensor`` outputs are whitened from then on.

    python tools/text/fit_whitening.py CONFIG CHECKPOINT OUT.pth [--corpus gensim:lee_background.cor]
        [--max-sentences 5000] [--batch-size 64]
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--corpus', default='gensim:lee_background.cor')
    parser.add_argument('--min-chars', type=int, default=30)
    parser.add_argument('--max-sentences', type=int, default=5000)
    parser.add_argument('--batch-size', type=int, default=64)
    args = parser.parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from align_core.checkpoint import safe_load
    from text_align.data import resolve_data_path, split_sentences
    from text_align.registry import MODELS
    init_default_scope('text_align')
    model = MODELS.build(Config.fromfile(args.config).model)
    checkpoint = safe_load(args.checkpoint)
    model.load_state_dict(checkpoint['state_dict'])
    if not hasattr(model, 'fit_whitening'):
        raise SystemExit(f'fit_whitening: the model of {args.config} ({type(model).__name__}) has no whitening')
    with open(resolve_data_path(args.corpus), encoding='utf-8', errors='replace') as f:
        sentences = [s for line in f for s in split_sentences(line, args.min_chars)][:args.max_sentences]
    model.eval()
    embeddings = torch.from_numpy(model.encoder.encode(sentences, batch_size=args.batch_size))
    model.fit_whitening(embeddings)
    checkpoint['state_dict'] = model.state_dict()
    checkpoint.setdefault('meta', {})['whitening'] = dict(corpus=args.corpus, sentences=len(sentences))
    torch.save(checkpoint, args.out)
    print(f'fit_whitening: fitted on {len(sentences)} sentences of {args.corpus} '
          f'(kept {model.whitening.matrix.shape[1]} of {embeddings.shape[1]} directions) -> {args.out}')


if __name__ == '__main__':
    main()
