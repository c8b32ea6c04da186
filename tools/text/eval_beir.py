"""Evaluate a text encoder on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv): nDCG@10,
Recall@100, MRR@10 and MAP, with the same definitions as pytrec_eval.

    python tools/text/eval_beir.py data/beir/scifact --model-path shipped:all-MiniLM-L6-v2
    python tools/text/eval_beir.py data/beir/scifact --config CONFIG --checkpoint work_dirs/x/iter_1000.pth

With a config, its model's ``encoder`` is evaluated, with the checkpoint's weights when given (a checkpoint that
does not fit the model is an error). Texts are truncated at ``--max-length`` tokens, by default the model's position
limit (512 for BERT, as Contriever's eval_beir.py), not the training length. Search is exact (torch) up to 100k
documents and a faiss flat index above (``--faiss`` forces it).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from align_core.checkpoint import UnsafeCheckpointError, safe_load  # noqa: E402
from text_align.data import load_beir  # noqa: E402
from text_align.encoders import TextEncoder  # noqa: E402
from text_align.evaluation import retrieval_metrics, run_from_search, search  # noqa: E402
from text_align.registry import MODELS  # noqa: E402


def build_encoder(args: argparse.Namespace) -> TextEncoder:
    """The encoder named by ``--model-path``, or the ``encoder`` of the config's model (with the checkpoint), its
    ``max_length`` set to ``--max-length`` or else to the model's position limit.

    Raises:
        ValueError: the checkpoint's keys or shapes do not fit the model (the file and the first keys are named).
    """
    if args.model_path:
        encoder = TextEncoder(args.model_path)
    else:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        init_default_scope('text_align')
        model = MODELS.build(Config.fromfile(args.config).model)
        if args.checkpoint:
            state = safe_load(args.checkpoint)
            state = state.get('state_dict', state)
            try:
                model.load_state_dict(state, strict=True)
            except RuntimeError as err:
                keys = model.state_dict().keys()
                missing = [k for k in keys if k not in state]
                unexpected = [k for k in state if k not in keys]
                detail = (f'missing {len(missing)} key(s) {missing[:3]}, unexpected {len(unexpected)} key(s) '
                          f'{unexpected[:3]}' if missing or unexpected else str(err).splitlines()[-1].strip())
                raise ValueError(f'checkpoint {args.checkpoint} does not fit the model of {args.config}: {detail}') \
                    from None
        encoder = model.encoder
    encoder.max_length = args.max_length or encoder.position_limit
    return encoder


def main() -> None:
    """Parse the command line, encode, search, score."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('folder', help='BEIR dataset folder')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--model-path', help='a local model folder or shipped:<name>')
    source.add_argument('--config', help='a text_align config whose model has an encoder')
    parser.add_argument('--checkpoint', help='weights for --config')
    parser.add_argument('--split', default='test')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--max-length', type=int, help='truncation length in tokens (default: the model limit)')
    parser.add_argument('--missing-docs', choices=('error', 'drop', 'keep'), default='error')
    parser.add_argument('--faiss', action='store_true', help='search with a faiss flat index')
    parser.add_argument('--out', help='write the metrics as JSON here')
    args = parser.parse_args()
    try:
        corpus, queries, qrels = load_beir(args.folder, args.split, args.missing_docs)
        if not any(q in qrels for q in queries):
            raise ValueError(f'{args.folder}: no query of queries.jsonl has a judgement in qrels/{args.split}.tsv; '
                             'nothing to evaluate')
        encoder = build_encoder(args)
    except (FileNotFoundError, ValueError, KeyError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')
    start = time.time()
    doc_ids, query_ids = list(corpus), [q for q in queries if q in qrels]
    doc_emb = encoder.encode_corpus([corpus[d] for d in doc_ids], batch_size=args.batch_size)
    query_emb = encoder.encode_queries([queries[q] for q in query_ids], batch_size=args.batch_size)
    scores, indices = search(query_emb, doc_emb, top_k=100, use_faiss=True if args.faiss else None)
    metrics = retrieval_metrics(qrels, run_from_search(query_ids, doc_ids, scores, indices))
    print(f'{len(query_ids)} queries, {len(doc_ids)} documents, {time.time() - start:.1f} s')
    for name, value in metrics.items():
        print(f'{name:<12}{100 * value:.2f}')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
