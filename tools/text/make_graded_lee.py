"""Write a graded-relevance set from gensim's Lee background corpus: graded lists (JSONL) for training on some
documents and a BEIR folder with graded qrels for the held-out documents.

A query is 6 content words (>= 4 letters) drawn from one sentence (the source), in random order. Grades by where a
passage comes from: 3 the source sentence, 2 a neighbouring sentence (window 1), 1 another sentence of the same
document, 0 a sentence of another document (two per list). The BEIR folder's corpus holds every sentence of the
held-out documents; its qrels grade them the same way (3/2/1; other documents 0, unjudged).

Usage: python tools/text/make_graded_lee.py OUT_DIR [--queries-per-doc 3] [--test-fraction 0.2] [--seed 0]
"""
import argparse
import json
import os
import random
import re
from typing import List


def documents(path: str, min_chars: int = 30) -> List[List[str]]:
    """Sentences (>= ``min_chars``) of each line of the corpus, documents with at least 3 of them."""
    docs = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            sentences = [s.strip() for s in re.split(r'(?<=[.!?])\s+', line.strip()) if len(s.strip()) >= min_chars]
            if len(sentences) >= 3:
                docs.append(sentences)
    return docs


def make_query(sentence: str, rng: random.Random, words: int = 6) -> str:
    """``words`` distinct content words of ``sentence`` (lower-cased, >= 4 letters) in random order ('' if fewer)."""
    vocab = sorted(set(w.lower() for w in re.findall(r'[A-Za-z]{4,}', sentence)))
    return '' if len(vocab) < words else ' '.join(rng.sample(vocab, words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--corpus', default='gensim:lee_background.cor')
    parser.add_argument('--queries-per-doc', type=int, default=3)
    parser.add_argument('--test-fraction', type=float, default=0.2)
    parser.add_argument('--max-docs', type=int, default=0, help='use only this many documents (0: all)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    from text_align.data import resolve_data_path
    rng = random.Random(args.seed)
    docs = documents(resolve_data_path(args.corpus))
    rng.shuffle(docs)
    if args.max_docs:
        docs = docs[:args.max_docs]
    n_test = max(1, int(round(len(docs) * args.test_fraction)))
    test_docs, train_docs = docs[:n_test], docs[n_test:]
    os.makedirs(os.path.join(args.out_dir, 'beir', 'qrels'), exist_ok=True)
    with open(os.path.join(args.out_dir, 'train.jsonl'), 'w', encoding='utf-8') as f:
        lists = 0
        for d, doc in enumerate(train_docs):
            for i in rng.sample(range(len(doc)), min(args.queries_per_doc, len(doc))):
                query = make_query(doc[i], rng)
                far = [j for j in range(len(doc)) if abs(j - i) > 1]
                if not query or not far:
                    continue
                near = rng.choice([j for j in (i - 1, i + 1) if 0 <= j < len(doc)])
                other_docs = rng.sample([e for e in range(len(train_docs)) if e != d], 2)
                others = [rng.choice(train_docs[e]) for e in other_docs]
                passages = [dict(text=doc[i], grade=3), dict(text=doc[near], grade=2),
                            dict(text=doc[rng.choice(far)], grade=1)] + [dict(text=t, grade=0) for t in others]
                f.write(json.dumps(dict(query_id=f'train{lists}', query=query, passages=passages)) + '\n')
                lists += 1
    corpus, queries, qrels = [], [], []
    for d, doc in enumerate(test_docs):
        corpus += [dict(_id=f'd{d}s{j}', title='', text=s) for j, s in enumerate(doc)]
        for i in rng.sample(range(len(doc)), min(args.queries_per_doc, len(doc))):
            query = make_query(doc[i], rng)
            if not query:
                continue
            qid = f'q{len(queries)}'
            queries.append(dict(_id=qid, text=query))
            qrels += [(qid, f'd{d}s{j}', 3 if j == i else 2 if abs(j - i) == 1 else 1) for j in range(len(doc))]
    beir = os.path.join(args.out_dir, 'beir')
    for name, rows in (('corpus.jsonl', corpus), ('queries.jsonl', queries)):
        with open(os.path.join(beir, name), 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
    with open(os.path.join(beir, 'qrels', 'test.tsv'), 'w', encoding='utf-8') as f:
        f.write('query-id\tcorpus-id\tscore\n' + ''.join(f'{q}\t{c}\t{s}\n' for q, c, s in qrels))
    print(f'make_graded_lee: {lists} training lists from {len(train_docs)} documents; {len(queries)} test queries '
          f'over {len(corpus)} sentences of {len(test_docs)} held-out documents -> {args.out_dir}')


if __name__ == '__main__':
    main()
