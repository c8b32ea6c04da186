"""RTD only vs RTD + contrastive (Vega v1's second phase) from a tiny randomly initialised BERT (2 layers, width 128,
MiniLM's vocabulary; random, not a pretrained model): pre-train on the sentences of gensim's lee_background.cor, then
fine-tune each pre-trained encoder with a linear head on the 200 Pang & Lee polarity sentences, stratified k-fold,
and report the held-out accuracy (GLUE's SST-2 metric), with the same fine-tuning of the un-pre-trained encoder as a
reference. Everything is offline.

    python tools/text/demo_rtd.py [--seeds 0 1] [--folds 5] [--work-dir work_dirs/rtd_demo] [--cfg-options ...]

Writes ``<work-dir>/report.md``.
"""
import argparse
import copy
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
from text_align.data import fold_split  # noqa: E402
from text_align.encoders import resolve_model_path  # noqa: E402
from text_align.evaluation import finetune_classifier, glue_scores, read_text_label_file  # noqa: E402
from text_align.registry import MODELS  # noqa: E402

CONFIGS = {'rtd': osp.join(ROOT, 'configs/text/rtd/rtd-only_tiny-bert_1xb32-200it_lee-background.py'),
           'rtd+contrastive': osp.join(ROOT, 'configs/text/rtd/rtd-contrastive_tiny-bert_1xb32-200it_lee-background.py')}
TINY = dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512,
            max_position_embeddings=128)


def write_tiny_encoder(folder: str, seed: int = 0) -> str:
    """Save a randomly initialised BERT of :data:`TINY` size with the shipped MiniLM tokenizer into ``folder``."""
    from transformers import AutoTokenizer, BertConfig, BertModel
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path('shipped:all-MiniLM-L6-v2'), local_files_only=True)
    BertModel(BertConfig(vocab_size=tokenizer.vocab_size, **TINY)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def fold_accuracies(encoder, texts: List[str], labels: List[int], args: argparse.Namespace, seed: int) -> List[float]:
    """Held-out accuracy of a fresh copy of ``encoder`` fine-tuned on each fold's training part."""
    scores = []
    for fold in range(args.folds):
        train, test = fold_split(labels, args.folds, fold, seed=0)
        model = copy.deepcopy(encoder)
        predicted = finetune_classifier(model, [texts[i] for i in train], [labels[i] for i in train],
                                        [texts[i] for i in test], epochs=args.epochs, lr=args.lr, seed=seed)
        scores.append(glue_scores('sst2', predicted, [labels[i] for i in test])['accuracy'])
    return scores


def main() -> None:
    """Pre-train both variants for every seed, fine-tune k-fold, write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--folds', type=int, default=5)
    parser.add_argument('--epochs', type=int, default=5, help='fine-tuning epochs')
    parser.add_argument('--lr', type=float, default=1e-4, help='fine-tuning learning rate')
    parser.add_argument('--data', default='gensim:pang_lee_polarity.cor')
    parser.add_argument('--work-dir', default='work_dirs/rtd_demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of both configs')
    args = parser.parse_args()
    start = time.time()
    model_path = write_tiny_encoder(osp.join(args.work_dir, 'tiny-bert-random'))
    texts, labels = read_text_label_file(args.data)
    results: Dict[str, Dict[int, List[float]]] = {}
    base_cfg = Config.fromfile(CONFIGS['rtd'])
    fresh = MODELS.build(dict(base_cfg.model.encoder, model_path=model_path))
    results['none (random init)'] = {s: fold_accuracies(fresh, texts, labels, args, s) for s in args.seeds}
    print(f'random init: {results["none (random init)"]}', flush=True)
    logs = {}
    for variant, config in CONFIGS.items():
        results[variant] = {}
        for seed in args.seeds:
            cfg = Config.fromfile(config)
            name = f'{variant.replace("+", "_")}_seed{seed}'
            cfg.merge_from_dict({'model.encoder.model_path': model_path,
                                 'train_dataloader.collate_fn.model_path': model_path,
                                 'work_dir': osp.join(args.work_dir, name), 'experiment_name': name,
                                 'randomness.seed': seed, **(args.cfg_options or {})})
            cfg.default_hooks.checkpoint = None
            runner = Runner.from_cfg(cfg)
            runner.train()
            logs[variant, seed] = {k: float(v) for k, v in runner.message_hub.log_scalars.items()
                                   if k.startswith('train/') and ('loss' in k or 'acc' in k)
                                   for v in [v.current()]}
            results[variant][seed] = fold_accuracies(runner.model.encoder, texts, labels, args, seed)
            print(f'{name}: {results[variant][seed]} ({time.time() - start:.0f} s)', flush=True)
            del runner
    cfg = Config.fromfile(CONFIGS['rtd+contrastive'])
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)  # the report states the settings the runs used
    lines = ['# RTD vs RTD + contrastive from a tiny randomly initialised BERT', '',
             f'Encoder: random BERT {TINY} (MiniLM vocabulary), not pretrained. Pre-training: '
             f'`{osp.relpath(CONFIGS["rtd"], ROOT)}` / `{osp.relpath(CONFIGS["rtd+contrastive"], ROOT)}` '
             f'({cfg.train_cfg.max_iters} iterations of {cfg.train_dataloader.batch_size} sentences of '
             f'lee_background.cor, length {cfg.max_length}); overrides `{args.cfg_options or "none"}`.', '',
             f'Fine-tuning: {args.data}, {len(texts)} sentences, stratified {args.folds}-fold (fold seed 0), linear '
             f'head on the mean-pooled embedding, AdamW lr {args.lr}, {args.epochs} epochs, batch 16; held-out '
             f'accuracy (%). Seeds {args.seeds} (pre-training and fine-tuning seed).', '',
             '| pre-training | accuracy, mean +- std over seeds of the k-fold mean | all folds and seeds, mean +- std |',
             '| --- | --- | --- |']
    for variant, per_seed in results.items():
        means = np.array([np.mean(v) for v in per_seed.values()])
        every = np.concatenate([np.asarray(v) for v in per_seed.values()])
        lines.append(f'| {variant} | {means.mean():.2f} +- {means.std(ddof=1) if means.size > 1 else 0:.2f} | '
                     f'{every.mean():.2f} +- {every.std(ddof=1):.2f} |')
    lines += ['', 'Last logged training values per run:', '']
    lines += [f'- {v} seed {s}: ' + ', '.join(f'{k[6:]} {x:.3f}' for k, x in sorted(log.items()))
              for (v, s), log in logs.items()]
    lines += ['', f'Wall time: {time.time() - start:.0f} s ({torch.get_num_threads()} torch threads).', '']
    text = '\n'.join(lines)
    with open(osp.join(args.work_dir, 'report.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
