"""SupReMix on real human labels: the Lee news document-similarity ratings (1225 pairs of 50 documents, gensim's test
data), split by document so that no held-out document is read in training. Compares the frozen all-MiniLM-L6-v2,
plain MSE fine-tuning (cosine vs rating, as sentence-transformers' CosineSimilarityLoss), supervised contrastive
regression without mixtures, and SupReMix, on the held-out pairs (every pair with at least one held-out document):
Spearman of a ridge head on the frozen pair features (fitted on the training pairs) and Spearman of the plain cosine.

    python tools/text/demo_supremix.py [--folds 0 1 2 3 4] [--seeds 0 1] [--methods mse supcon supremix]
                                       [--work-dir work_dirs/supremix_demo] [--cfg-options ...] [--resume]

Writes ``<work-dir>/report.md``. Everything is offline.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import text_align  # noqa: E402,F401  (registers the text modules)
from text_align.data import document_folds, lee_documents_and_scores, pairs_of  # noqa: E402
from text_align.evaluation import (encode_for_evaluation, linear_probe_regression, ridge_alpha_by_cv,  # noqa: E402
                                   sts_correlations)
from text_align.registry import MODELS  # noqa: E402

CONFIG = osp.join(ROOT, 'configs/text/supremix/supremix_minilm-l6_1xb12-20it_lee-doc-regression.py')
#: method -> config overrides (the config itself is SupReMix)
METHODS = {
    'mse': {'model.objective': 'mse'},
    'supcon': {'model.loss.num_hard_positives': 0, 'model.loss.hard_negatives': False,
               'model.loss.distance_weighting': False},
    'supremix': {},
}


def held_out_scores(encoder, documents: List[str], scores: np.ndarray, fold: int, cfg: Config) -> Dict[str, float]:
    """Probe and cosine Spearman (x100) on the held-out pairs of ``fold``."""
    data = cfg.train_dataloader.dataset
    train, test = document_folds(len(documents), data.num_folds, fold, data.fold_seed)
    train_pairs, test_pairs = pairs_of(train, test)
    u = encode_for_evaluation(encoder, documents, cfg.get('eval_max_length'))

    def features(pairs: np.ndarray) -> np.ndarray:
        return u[pairs[:, 0]] * u[pairs[:, 1]]

    y_train, y_test = scores[tuple(train_pairs.T)], scores[tuple(test_pairs.T)]
    alpha = ridge_alpha_by_cv(features(train_pairs), y_train)
    probe = linear_probe_regression(features(train_pairs), y_train, features(test_pairs), y_test, alpha)
    cosine = sts_correlations(features(test_pairs).sum(1), y_test)['spearman']
    return dict(probe_spearman=probe['spearman'], probe_pearson=probe['pearson'], probe_mae=probe['mae'],
                cosine_spearman=cosine, alpha=alpha)


def summary(values: List[float]) -> str:
    """``mean +- sample std``."""
    values = np.asarray(values, dtype=np.float64)
    return f'{values.mean():.2f} +- {values.std(ddof=1) if values.size > 1 else 0.0:.2f}'


def report(cfg: Config, args: argparse.Namespace, frozen: Dict[int, dict], trained: Dict[tuple, dict],
           seconds: float) -> str:
    """The Markdown report."""
    loss = cfg.model.loss
    lines = [f'# SupReMix on the Lee document-similarity ratings ({cfg.model.encoder.model_path})', '',
             f'Config: `{osp.relpath(args.config, ROOT)}`; overrides: `{args.cfg_options or "none"}`; methods '
             f'{args.methods} (' + ', '.join(f'{m}: {METHODS[m] or "the config"}' for m in args.methods) + ').', '',
             f'Data: 50 documents split into {cfg.train_dataloader.dataset.num_folds} folds by document (fold seed '
             f'{cfg.train_dataloader.dataset.fold_seed}); training reads the other folds\' documents and the pairs '
             'among them; held out: every pair with a document of the fold. Folds '
             f'{args.folds}, seeds {args.seeds}.', '',
             f'Training: batch {cfg.train_dataloader.batch_size} documents (all their pairs), '
             f'{cfg.optim_wrapper.optimizer.type} lr {cfg.optim_wrapper.optimizer.lr}, {cfg.train_cfg.max_iters} '
             f'iterations, training length {cfg.model.encoder.max_length} tokens; SupReMixLoss temperature '
             f'{loss.temperature}, {loss.num_hard_positives} hard positives per anchor.', '',
             'Held-out pairs, mean +- std over folds (a fold\'s trained score is the mean of its seeds); the probe '
             'is a ridge head on the pair features u*v of the frozen embeddings (penalty by 5-fold CV on the '
             'training pairs):', '',
             '| model | probe Spearman | probe Pearson | probe MAE | cosine Spearman |', '| --- | --- | --- | --- | --- |']
    keys = ('probe_spearman', 'probe_pearson', 'probe_mae', 'cosine_spearman')
    lines.append('| frozen | ' + ' | '.join(summary([frozen[f][k] for f in args.folds]) for k in keys) + ' |')
    for method in args.methods:  # over the folds with at least one finished run (all of them unless interrupted)
        runs = {f: [trained[method, f, s] for s in args.seeds if (method, f, s) in trained] for f in args.folds}
        per_fold = {k: [np.mean([r[k] for r in rs]) for rs in runs.values() if rs] for k in keys}
        if per_fold[keys[0]]:
            lines.append(f'| {method} | ' + ' | '.join(summary(per_fold[k]) for k in keys) + ' |')
    lines += ['', 'Per run (probe Spearman; a run missing from the list did not finish):', '']
    for method in args.methods:
        lines.append(f'- {method}: ' + ', '.join(f'f{f}s{s} {trained[method, f, s]["probe_spearman"]:.2f}'
                                                 for f in args.folds for s in args.seeds
                                                 if (method, f, s) in trained))
    lines.append('- frozen: ' + ', '.join(f'f{f} {frozen[f]["probe_spearman"]:.2f}' for f in args.folds))
    lines += ['', f'Wall time: {seconds:.0f} s ({torch.get_num_threads()} torch threads).', '']
    return '\n'.join(lines)


def main() -> None:
    """Score the frozen model, train every (method, fold, seed), write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--folds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument('--work-dir', default='work_dirs/supremix_demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--report-only', action='store_true',
                        help='train nothing: report the runs an earlier (interrupted) demo saved, with --resume')
    parser.add_argument('--resume', action='store_true',
                        help='keep the scores of runs an interrupted demo finished (<work-dir>/<run>/scores.json)')
    args = parser.parse_args()
    start = time.time()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if len(set(args.folds)) < 2:
        parser.error('--folds: give at least 2 folds (the statistics are over folds)')
    documents, scores = lee_documents_and_scores()
    encoder = MODELS.build(cfg.model.encoder)
    frozen = {}
    for fold in args.folds:
        saved = osp.join(args.work_dir, f'frozen_fold{fold}.json')
        if args.resume and osp.isfile(saved):
            with open(saved, encoding='utf-8') as f:
                frozen[fold] = json.load(f)
            continue
        frozen[fold] = held_out_scores(encoder, documents, scores, fold, cfg)
        os.makedirs(args.work_dir, exist_ok=True)
        with open(saved, 'w', encoding='utf-8') as f:
            json.dump(frozen[fold], f)
    print(f'frozen: {frozen}', flush=True)
    del encoder
    trained = {}
    for method in args.methods:
        for fold in args.folds:
            for seed in args.seeds:
                run_cfg = copy.deepcopy(cfg)
                name = f'{method}_fold{fold}_seed{seed}'
                run_cfg.merge_from_dict(dict(METHODS[method], **{
                    'work_dir': osp.join(args.work_dir, name), 'experiment_name': name,
                    'train_dataloader.dataset.fold': fold, 'randomness.seed': seed}))
                run_cfg.default_hooks.checkpoint = None
                saved = osp.join(args.work_dir, name, 'scores.json')
                if args.resume and osp.isfile(saved):  # a finished run of an interrupted demo
                    with open(saved, encoding='utf-8') as f:
                        trained[method, fold, seed] = json.load(f)
                    print(f'{name}: {trained[method, fold, seed]} (kept from {saved})', flush=True)
                    continue
                if args.report_only:
                    continue
                runner = Runner.from_cfg(run_cfg)
                runner.train()
                trained[method, fold, seed] = held_out_scores(runner.model.encoder, documents, scores, fold, run_cfg)
                with open(saved, 'w', encoding='utf-8') as f:
                    json.dump(trained[method, fold, seed], f)
                print(f'{name}: {trained[method, fold, seed]} ({time.time() - start:.0f} s)', flush=True)
                del runner
    text = report(cfg, args, frozen, trained, time.time() - start)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'report.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
