"""SPACE-2 vs self-supervised-only pre-training of the shipped all-MiniLM-L6-v2 on a generated multi-domain dialog
corpus (templated; a share of the user turns labelled, the rest not), then few-shot intent classification and slot
filling on held-out dialogs, against the frozen model. Everything is offline.

    python tools/text/demo_space2.py [--seeds 0 1] [--shots 2] [--work-dir work_dirs/space2_demo]
                                     [--cfg-options model.mlm_weight=0 ...]
    python tools/text/demo_space2.py --combine DIR_SEED0 DIR_SEED1 --work-dir OUT   # runs made by separate processes

For each seed: pre-train with ``configs/text/space2/space2_minilm-l6_...`` (SPACE-2) and with its ``space2-selfsup``
twin (trees ignored), then on frozen encoders fit a logistic regression on ``--shots`` labelled user turns per intent
(drawn with the seed from separate dialogs) for the intent (accuracy) and one on their words for the BIO slot tags
(span F1, seqeval rules), and score all user turns of the held-out dialogs. Writes ``<work-dir>/report.md``.
"""
import argparse
import json
import os
import os.path as osp
import random
import sys
import time
from typing import Dict, List, Sequence

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import text_align  # noqa: E402,F401  (registers the text modules)
from text_align.data import parse_turn, write_dialogs  # noqa: E402
from text_align.data.dialog_demo_corpus import generate_dialogs, labelled_user_turns  # noqa: E402
from text_align.evaluation import bio_tags, intent_accuracy, slot_f1  # noqa: E402
from text_align.registry import MODELS  # noqa: E402

CONFIGS = {'SPACE-2': 'configs/text/space2/space2_minilm-l6_1xb8+8-60it_demo-dialogs.py',
           'self-supervised only': 'configs/text/space2/space2-selfsup_minilm-l6_1xb8+8-60it_demo-dialogs.py'}
CORPUS = dict(pretrain=(600, 100, 0.2), fewshot=(100, 200, 1.0), test=(150, 300, 1.0))  # dialogs, seed, labelled


def write_corpus(folder: str) -> Dict[str, str]:
    """Generate the three splits (different dialogs) as JSONL files; return their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for split, (count, seed, labelled) in CORPUS.items():
        paths[split] = osp.join(folder, f'{split}.jsonl')
        write_dialogs(generate_dialogs(count, seed, labelled), paths[split])
    return paths


def few_shot(turns: Sequence[dict], shots: int, seed: int) -> List[dict]:
    """``shots`` turns per intent, drawn with ``seed``."""
    by_intent: Dict[str, List[dict]] = {}
    for turn in turns:
        by_intent.setdefault(turn['intent'], []).append(turn)
    rng = random.Random(seed)
    return [t for name in sorted(by_intent) for t in rng.sample(by_intent[name], shots)]


@torch.no_grad()
def word_features(encoder, sentences: Sequence[Sequence[str]], batch_size: int = 64) -> List[np.ndarray]:
    """Last-layer state of the first sub-token of every word, per sentence."""
    encoder.eval()
    out = []
    for start in range(0, len(sentences), batch_size):
        chunk = [list(s) for s in sentences[start:start + batch_size]]
        tokens = encoder.tokenizer(chunk, is_split_into_words=True, padding=True, truncation=True,
                                   max_length=encoder.max_length, return_tensors='pt')
        hidden = encoder.backbone(input_ids=tokens['input_ids'], attention_mask=tokens['attention_mask'],
                                  token_type_ids=tokens.get('token_type_ids')).last_hidden_state
        for b, words in enumerate(chunk):
            first = {}
            for position, word in enumerate(tokens.word_ids(b)):
                if word is not None and word not in first:
                    first[word] = position
            out.append(hidden[b, [first[w] for w in range(len(words))]].numpy())
    return out


def evaluate(encoder, train: Sequence[dict], test: Sequence[dict], seed: int) -> Dict[str, float]:
    """Few-shot intent accuracy and slot F1 of a frozen encoder."""
    from sklearn.linear_model import LogisticRegression
    train_x = encoder.encode([t['text'] for t in train])
    test_x = encoder.encode([t['text'] for t in test])
    classifier = LogisticRegression(max_iter=2000, random_state=seed).fit(train_x, [t['intent'] for t in train])
    scores = intent_accuracy(list(classifier.predict(test_x)), [t['intent'] for t in test])
    tagged = [bio_tags(t['text'], t['spans']) for t in list(train) + list(test)]
    features = word_features(encoder, [words for words, _ in tagged])
    n = len(train)
    tagger = LogisticRegression(max_iter=2000, random_state=seed).fit(
        np.concatenate(features[:n]), [tag for _, tags in tagged[:n] for tag in tags])
    predicted = [list(tagger.predict(f)) for f in features[n:]]
    slots = slot_f1([tags for _, tags in tagged[n:]], predicted)
    return dict(intent_accuracy=scores['accuracy'], slot_f1=slots['f1'], slot_f1_macro=slots['f1_macro'])


def user_turns(path: str) -> List[dict]:
    """Labelled user turns of a generated split, parsed (spans in the text) with their intent."""
    turns = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            for turn in labelled_user_turns([json.loads(line)]):
                parsed = parse_turn(turn, 0, path)
                turns.append(dict(parsed, intent=turn['intent']))
    return turns


def summary(values: Sequence[float]) -> str:
    array = np.array(values)
    return f'{array.mean():.2f} +- {array.std(ddof=1) if array.size > 1 else 0.0:.2f}'


def write_report(work_dir: str, results: Dict[str, Dict[int, dict]], meta: dict) -> str:
    """Write ``results.json`` and ``report.md`` (mean +- sample std over the seeds) into ``work_dir``."""
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'results.json'), 'w', encoding='utf-8') as f:
        json.dump(dict(results=results, meta=meta), f, indent=1)
    lines = ['# SPACE-2 demo: shipped all-MiniLM-L6-v2, generated dialogs', '',
             f'Configs: `{CONFIGS["SPACE-2"]}` and `{CONFIGS["self-supervised only"]}`; overrides '
             f'`{meta["cfg_options"] or "none"}`; {meta["shots"]} labelled user turns per intent (drawn per seed from '
             f'{meta["pool"]} turns of other dialogs) train the heads; {meta["test"]} user turns of held-out dialogs '
             f'are scored. Pre-training corpus: {CORPUS["pretrain"][0]} generated dialogs, '
             f'{CORPUS["pretrain"][2]:.0%} of the user turns labelled.', '',
             '| encoder | seeds | intent accuracy | slot F1 (micro) | slot F1 (macro) |', '| --- | --- | --- | --- | --- |']
    for name, runs in results.items():
        lines.append(f'| {name} | {sorted(int(s) for s in runs)} | ' + ' | '.join(
            summary([r[k] for r in runs.values()]) for k in ('intent_accuracy', 'slot_f1', 'slot_f1_macro')) + ' |')
    lines += ['', f'Mean +- sample std over seeds. Wall time {meta["wall_s"]:.0f} s, CPU time {meta["cpu_s"]:.0f} s '
              f'({meta["threads"]} torch threads; summed over processes when combined).', '']
    text = '\n'.join(lines)
    with open(osp.join(work_dir, 'report.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    return text


def combine(folders: Sequence[str], work_dir: str) -> str:
    """One report from the ``results.json`` of runs on other seeds (e.g. seeds run as parallel processes)."""
    results: Dict[str, Dict[int, dict]] = {}
    meta: dict = {}
    for folder in folders:
        with open(osp.join(folder, 'results.json'), encoding='utf-8') as f:
            part = json.load(f)
        for name, runs in part['results'].items():
            results.setdefault(name, {}).update({int(s): r for s, r in runs.items()})
        if meta and any(meta[k] != part['meta'][k] for k in ('cfg_options', 'shots', 'pool', 'test')):
            raise ValueError(f'{folder}: its runs used other settings than {folders[0]}')
        wall, cpu = meta.get('wall_s', 0.0), meta.get('cpu_s', 0.0)
        meta = dict(part['meta'], wall_s=max(wall, part['meta']['wall_s']), cpu_s=cpu + part['meta']['cpu_s'])
    return write_report(work_dir, results, meta)


def main() -> None:
    """Generate the corpus, score the frozen model, pre-train both ways per seed, score, write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--shots', type=int, default=2, help='labelled turns per intent for the few-shot heads')
    parser.add_argument('--work-dir', default='work_dirs/space2_demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of both configs')
    parser.add_argument('--combine', nargs='+', metavar='DIR', help='only merge the results.json of these work dirs')
    parser.add_argument('--methods', nargs='+', choices=list(CONFIGS), default=list(CONFIGS),
                        help='pre-training methods to run (default: both)')
    parser.add_argument('--no-frozen', action='store_true', help='skip the frozen-model scores')
    args = parser.parse_args()
    if args.combine:
        print(combine(args.combine, args.work_dir))
        return
    start = time.time()
    paths = write_corpus(osp.join(args.work_dir, 'data'))
    fewshot_pool, test = user_turns(paths['fewshot']), user_turns(paths['test'])
    meta = dict(cfg_options=args.cfg_options, shots=args.shots, pool=len(fewshot_pool), test=len(test),
                threads=torch.get_num_threads())
    results: Dict[str, Dict[int, dict]] = {}
    if not args.no_frozen:
        frozen = MODELS.build(Config.fromfile(osp.join(ROOT, CONFIGS['SPACE-2'])).model.encoder)
        results['frozen MiniLM'] = {seed: evaluate(frozen, few_shot(fewshot_pool, args.shots, seed), test, seed)
                                    for seed in args.seeds}
        print(f'frozen: {results["frozen MiniLM"]} ({time.time() - start:.0f} s)', flush=True)
        del frozen
    for seed in args.seeds:  # seed by seed; the report is rewritten after every run
        for name in args.methods:
            config = CONFIGS[name]
            cfg = Config.fromfile(osp.join(ROOT, config))
            if args.cfg_options:
                cfg.merge_from_dict(args.cfg_options)
            tag = name.split()[0].lower()
            cfg.merge_from_dict({'train_dataloader.dataset.ann_file': paths['pretrain'], 'randomness.seed': seed,
                                 'work_dir': osp.join(args.work_dir, f'{tag}_seed{seed}'),
                                 'experiment_name': f'{tag}_seed{seed}'})
            cfg.default_hooks.checkpoint = None
            runner = Runner.from_cfg(cfg)
            runner.train()
            results.setdefault(name, {})[seed] = evaluate(runner.model.encoder, few_shot(fewshot_pool, args.shots,
                                                                                         seed), test, seed)
            print(f'{name} seed {seed}: {results[name][seed]} ({time.time() - start:.0f} s)', flush=True)
            del runner
            text = write_report(args.work_dir, results, dict(meta, wall_s=time.time() - start,
                                                             cpu_s=time.process_time()))
    print(text)


if __name__ == '__main__':
    main()
