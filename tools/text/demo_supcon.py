"""Supervised contrastive fine-tuning of the shipped all-MiniLM-L6-v2 on real labelled sentences (the 200 Pang & Lee
polarity sentences gensim ships), scored on held-out folds against the frozen model, paired by fold; and what the
fine-tuning costs on the Lee news document-similarity set. Everything is offline.

    python tools/text/demo_supcon.py [--seeds 0 1] [--folds 0 1 2 3 4] [--work-dir work_dirs/text_demo]
                                     [--cfg-options train_cfg.max_iters=20 ...]

Writes ``<work-dir>/report.md`` (the numbers, the config file and every override used) and ``<work-dir>/
config.py`` (the config of the runs, fold and seed aside). A few minutes on 2 CPU cores.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Tuple

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import text_align  # noqa: E402,F401  (registers the text modules)
from text_align.data import fold_split, read_labelled_sentences  # noqa: E402
from text_align.evaluation import (encode_for_evaluation, evaluation_max_length, held_out_label_scores,  # noqa: E402
                                   lee_similarity, paired_by_fold)
from text_align.registry import MODELS  # noqa: E402

CONFIG = osp.join(ROOT, 'configs/text/supcon/supcon_minilm-l6_1xb16-20it_polarity-5fold.py')
METRICS = (('knn_accuracy', 'k-NN accuracy (k=5, training folds vote)'),
           ('same_label_map', 'same-label retrieval MAP (within the held-out fold)'),
           ('logreg_accuracy', 'logistic-regression accuracy (fitted on the training folds)'))


def run_overrides(work_dir: str, fold: int, seed: int) -> Dict[str, object]:
    """The settings the demo changes in the config for one run (reported verbatim)."""
    return {'work_dir': osp.join(work_dir, f'fold{fold}_seed{seed}'), 'experiment_name': f'fold{fold}_seed{seed}',
            'train_dataloader.dataset.fold': fold, 'train_dataloader.dataset.seed': seed,
            'randomness.seed': seed, 'default_hooks.checkpoint': None}


def fold_scores(encoder, texts: List[str], labels: List[int], cfg: Config, fold: int) -> Dict[str, float]:
    """Held-out scores of ``encoder`` on one fold (all sentences embedded at the evaluation length)."""
    data = cfg.train_dataloader.dataset
    train, test = fold_split(labels, data.num_folds, fold, data.fold_seed)
    embeddings = encode_for_evaluation(encoder, texts, cfg.get('eval_max_length'))
    return held_out_label_scores(embeddings, labels, train, test, k=5)


def report(cfg: Config, config_path: str, cli_options: dict, overrides: Dict[str, object], folds: List[int],
           seeds: List[int], baseline: Dict[int, dict], trained: Dict[Tuple[int, int], dict], lee_before: dict,
           lee_after: Dict[Tuple[int, int], dict], seconds: float, cpu_seconds: float) -> str:
    """The Markdown report: settings as used, then the paired scores."""
    data = cfg.train_dataloader.dataset
    texts, labels, names = read_labelled_sentences(data.ann_file)
    loss = cfg.model.loss
    lines = [f'# Supervised contrastive fine-tuning of {cfg.model.encoder.model_path} on {data.ann_file}', '',
             f'Config: `{osp.relpath(config_path, ROOT)}`; command-line overrides: '
             f'`{cli_options or "none"}`; per run the demo sets '
             + ', '.join(f'`{k}={v}`' for k, v in overrides.items()) + ' (fold and seed vary as below). '
             'Full config of the last run: `config.py` next to this report.', '',
             f'Data: {len(texts)} sentences ({", ".join(f"{labels.count(i)} {n}" for i, n in enumerate(names))}), '
             f'stratified {data.num_folds}-fold split (fold seed {data.fold_seed}); folds {folds}, seeds {seeds}. '
             'Training reads the training folds only.', '',
             f'Training: {cfg.model.type}, {loss.type} temperature {loss.temperature}, group_key '
             f'`{cfg.model.get("group_key")}`, batch {cfg.train_dataloader.batch_size} pairs '
             f'({cfg.train_dataloader.batch_sampler.type}), {data.pairs_per_text} positives per anchor, '
             f'{cfg.optim_wrapper.optimizer.type} lr {cfg.optim_wrapper.optimizer.lr}, {cfg.train_cfg.max_iters} '
             f'iterations, training length {cfg.model.encoder.max_length} tokens.', '',
             f'Evaluation length: {lee_before["max_length"]} tokens (`eval_max_length={cfg.get("eval_max_length")}`'
             f', None = the model\'s limit); Lee documents cut at it: {lee_before["truncated"]}.', '',
             f'Held-out fold scores (%), mean +- std over {len(folds)} folds (sample std; a fold\'s fine-tuned score '
             f'is the mean of its {len(seeds)} seeds; "seed std" is the mean over folds of the std over seeds):', '',
             '| metric | frozen MiniLM | fine-tuned | difference (paired by fold) | folds improved | seed std |',
             '| --- | --- | --- | --- | --- | --- |']
    for key, title in METRICS:
        s = paired_by_fold({f: baseline[f][key] for f in folds}, {r: v[key] for r, v in trained.items()})
        lines.append(f'| {title} | {s["baseline_mean"]:.2f} +- {s["baseline_std"]:.2f} | {s["trained_mean"]:.2f} +- '
                     f'{s["trained_std"]:.2f} | {s["diff_mean"]:+.2f} +- {s["diff_std"]:.2f} | '
                     f'{s["folds_improved"]}/{s["folds"]} | {s["seed_std"]:.2f} |')
    after = np.array([v['spearman'] for v in lee_after.values()])
    lines += ['', 'Cost on the Lee document-similarity set (50 news documents, 1225 human-rated pairs; Spearman x100, '
              'mean +- std over all fine-tuned runs):', '',
              f'| frozen | fine-tuned | difference |\n| --- | --- | --- |\n| {lee_before["spearman"]:.2f} | '
              f'{after.mean():.2f} +- {after.std(ddof=1) if after.size > 1 else 0.0:.2f} | '
              f'{after.mean() - lee_before["spearman"]:+.2f} |', '',
              f'Wall time: {seconds:.0f} s; CPU time of the process: {cpu_seconds:.0f} s ({torch.get_num_threads()} '
              'torch threads).', '']
    return '\n'.join(lines)


def main() -> None:
    """Parse the command line, score the frozen model, train and score every (fold, seed), write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--folds', type=int, nargs='+', help='held-out folds to run (default: all)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--work-dir', default='work_dirs/text_demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args()
    start = time.time()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    data = cfg.train_dataloader.dataset
    folds = args.folds if args.folds is not None else list(range(data.num_folds))
    if len(set(folds)) < 2 or not set(folds) <= set(range(data.num_folds)):
        parser.error(f'--folds: give at least 2 distinct folds of 0..{data.num_folds - 1} (the statistics are over '
                     f'folds), got {folds}')
    texts, labels, _ = read_labelled_sentences(data.ann_file)
    frozen = MODELS.build(cfg.model.encoder)
    print(f'evaluation length: {evaluation_max_length(frozen, cfg.get("eval_max_length"))} tokens', flush=True)
    baseline = {f: fold_scores(frozen, texts, labels, cfg, f) for f in folds}
    lee_before = lee_similarity(frozen, cfg.get('eval_max_length'))
    print(f'frozen: {baseline}, Lee {lee_before}', flush=True)
    del frozen
    trained, lee_after = {}, {}
    for fold in folds:
        for seed in args.seeds:
            overrides = run_overrides(args.work_dir, fold, seed)
            run_cfg = copy.deepcopy(cfg)
            run_cfg.merge_from_dict({k: v for k, v in overrides.items() if k != 'default_hooks.checkpoint'})
            run_cfg.default_hooks.checkpoint = None  # nothing to resume: the scores are taken in this process
            runner = Runner.from_cfg(run_cfg)
            runner.train()
            encoder = runner.model.encoder
            trained[fold, seed] = fold_scores(encoder, texts, labels, run_cfg, fold)
            lee_after[fold, seed] = lee_similarity(encoder, run_cfg.get('eval_max_length'))
            print(f'fold {fold} seed {seed}: {trained[fold, seed]}, Lee {lee_after[fold, seed]["spearman"]:.2f} '
                  f'({time.time() - start:.0f} s)', flush=True)
            run_cfg.dump(osp.join(args.work_dir, 'config.py'))
            del runner, encoder
    text = report(cfg, args.config, args.cfg_options, run_overrides(args.work_dir, '<fold>', '<seed>'), folds,
                  args.seeds, baseline, trained, lee_before, lee_after, time.time() - start, time.process_time())
    os.makedirs(args.work_dir, exist_ok=True)
    path = osp.join(args.work_dir, 'report.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    print(text)
    print(f'report: {path}')


if __name__ == '__main__':
    main()
