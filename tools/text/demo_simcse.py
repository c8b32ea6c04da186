"""Unsupervised SimCSE on a small real news corpus (gensim's Lee background corpus, offline), fine-tuning the shipped
all-MiniLM-L6-v2, scored on the Lee document-similarity set (50 other news documents rated by humans, Lee et al.,
2005) before and after. A documented negative result (see configs/text/README.md); ``make demo-text`` runs
``demo_supcon.py`` instead. Same-document negative masking:
``--cfg-options model.group_key=document``.

    python tools/text/demo_simcse.py [--iters 150] [--work-dir work_dirs/text_demo_simcse] [--cfg-options ...]

Writes ``<work-dir>/report.md`` (the numbers, the config and every override used) and ``<work-dir>/config.py``.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'plugins'))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import text_align  # noqa: E402,F401  (registers the text modules)
from text_align.evaluation import lee_similarity  # noqa: E402

CONFIG = osp.join(ROOT, 'configs/text/simcse/simcse-unsup_minilm-l6_1xb32-150it_lee-news.py')


def main() -> None:
    """Parse the command line, evaluate, train, evaluate, report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG, help='a config on the same data (e.g. the DebCSE one)')
    parser.add_argument('--iters', type=int, default=150)
    parser.add_argument('--work-dir', default='work_dirs/text_demo_simcse')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    overrides = {'work_dir': args.work_dir, 'train_cfg.max_iters': args.iters, 'param_scheduler[0].end': args.iters,
                 'val_cfg/val_dataloader/val_evaluator': None, 'default_hooks.checkpoint': None}
    cfg.work_dir = args.work_dir
    cfg.train_cfg.max_iters = args.iters
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # evaluated here, once per unique document
    cfg.param_scheduler[0].end = args.iters
    cfg.default_hooks.checkpoint = None
    eval_length = cfg.get('eval_max_length')
    start = time.time()
    runner = Runner.from_cfg(cfg)
    encoder = runner.model.encoder
    before = lee_similarity(encoder, eval_length)
    print(f'before: Spearman {before["spearman"]:.2f}, Pearson {before["pearson"]:.2f}', flush=True)
    runner.train()
    after = lee_similarity(encoder, eval_length)
    print(f'after:  Spearman {after["spearman"]:.2f}, Pearson {after["pearson"]:.2f}', flush=True)
    cfg.dump(osp.join(args.work_dir, 'config.py'))
    data, loader = cfg.train_dataloader.dataset, cfg.train_dataloader
    report = osp.join(args.work_dir, 'report.md')
    with open(report, 'w', encoding='utf-8') as f:
        f.write(f'# {cfg.model.type} on {data.ann_file}\n\n'
                f'Config: `{osp.relpath(args.config, ROOT)}`; command-line overrides: `{args.cfg_options or "none"}`; '
                f'set by the demo: ' + ', '.join(f'`{k}={v}`' for k, v in overrides.items()) + '. Full config: '
                '`config.py` next to this report.\n\n'
                f'Training: {len(runner.train_dataloader.dataset)} training texts, batch {loader.batch_size}, '
                f'{cfg.optim_wrapper.optimizer.type} lr {cfg.optim_wrapper.optimizer.lr}, temperature '
                f'{cfg.model.loss.get("temperature")}, pooling {cfg.model.encoder.get("pooling")}, training length '
                f'{cfg.model.encoder.get("max_length")} tokens, group_key `{cfg.model.get("group_key")}`.\n\n'
                f'Evaluation: the 50 Lee documents (lee.cor), 1225 pairs rated by humans; cosine of the embeddings vs '
                f'the ratings, documents embedded up to {before["max_length"]} tokens '
                f'(`eval_max_length={eval_length}`; cut: {before["truncated"]}).\n\n'
                '| | Spearman | Pearson |\n| --- | --- | --- |\n'
                f'| before | {before["spearman"]:.2f} | {before["pearson"]:.2f} |\n'
                f'| after | {after["spearman"]:.2f} | {after["pearson"]:.2f} |\n\n'
                f'Wall time: {time.time() - start:.0f} s; CPU time of the process: {time.process_time():.0f} s.\n')
    print(f'report: {report}')


if __name__ == '__main__':
    main()
