"""Tatoeba-style bitext retrieval: nearest-neighbour accuracy in both directions over two line-aligned files.

    python tools/text/eval_bitext.py SRC TGT --model-path shipped:all-MiniLM-L6-v2
    python tools/text/eval_bitext.py SRC TGT --config CONFIG --checkpoint CKPT   # the model's (whitened) embeddings
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src')
    parser.add_argument('tgt')
    parser.add_argument('--model-path')
    parser.add_argument('--config')
    parser.add_argument('--checkpoint')
    parser.add_argument('--batch-size', type=int, default=64)
    args = parser.parse_args()
    import torch

    from text_align.data import ParallelSentences
    from text_align.evaluation import bitext_accuracy
    rows = ParallelSentences(args.src, args.tgt)
    texts = {side: [r['text'] for r in (rows[i] for i in range(len(rows))) if r['side'] == side]
             for side in ('src', 'tgt')}
    if args.config:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope

        from align_core.checkpoint import safe_load
        from text_align.registry import MODELS
        init_default_scope('text_align')
        model = MODELS.build(Config.fromfile(args.config).model)
        if args.checkpoint:
            model.load_state_dict(safe_load(args.checkpoint)['state_dict'])
        model.eval()
        whiten = getattr(model, 'whitening', None)

        def embed(sentences):
            out = torch.from_numpy(model.encoder.encode(sentences, batch_size=args.batch_size))
            return (whiten(out) if whiten is not None else out).numpy()
    elif args.model_path:
        from text_align.encoders import TextEncoder
        encoder = TextEncoder(args.model_path).eval()

        def embed(sentences):
            return encoder.encode(sentences, batch_size=args.batch_size)
    else:
        raise SystemExit('eval_bitext: give --model-path or --config')
    print(json.dumps(bitext_accuracy(embed(texts['src']), embed(texts['tgt']))))


if __name__ == '__main__':
    main()
