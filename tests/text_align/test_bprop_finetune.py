"""B-PROP fine-tuning as a re-ranker and as a bi-encoder on BEIR-format data: the pairwise and listwise ranking losses
by hand, the cross-encoder's grouping, BM25 by hand, hard negatives never judged relevant, the re-ranking metric
against pytrec_eval, and both configs (and the B-PROP pre-training config) under tools/train.py."""
import json
import math
import re
import runpy
import sys

import pytest
import torch

from conftest import REPO
from tiny_bert import write_tiny_bert

RERANK = REPO / 'configs/text/bprop/bprop-rerank_minilm-l6_1xb4x4-40it_lee-lead.py'
BIENCODER = REPO / 'configs/text/bprop/bprop-biencoder_minilm-l6_1xb16-40it_lee-lead.py'
PRETRAIN = REPO / 'configs/text/bprop/bprop_minilm-l6_1xb8-40it_lee.py'


def test_pairwise_and_listwise_losses_by_hand():
    from text_align.losses import listwise_softmax_loss, pairwise_softmax_margin_loss
    scores = torch.tensor([[2.0, 0.5, 1.0], [0.0, 3.0, 0.0]])

    def hinge(pos, neg):  # softmax over the pair: p_pos - p_neg = tanh((pos - neg) / 2)
        p = 1 / (1 + math.exp(neg - pos))
        return max(0.0, 1 - (p - (1 - p)))
    expected = (hinge(2, .5) + hinge(2, 1) + hinge(0, 3) + hinge(0, 0)) / 4
    assert pairwise_softmax_margin_loss(scores).item() == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(0.5 * (1 - math.tanh(.75) + 1 - math.tanh(.5) + 1 + math.tanh(1.5) + 1) / 2)
    lse = [math.log(math.exp(2) + math.exp(.5) + math.exp(1)), math.log(2 + math.exp(3))]
    assert listwise_softmax_loss(scores).item() == pytest.approx((lse[0] - 2 + lse[1] - 0) / 2, rel=1e-6)
    with pytest.raises(ValueError, match=r'\(queries, 1 \+ negatives >= 2\), got \(2, 1\)'):
        listwise_softmax_loss(scores[:, :1])


@pytest.mark.parametrize('loss', ['pairwise', 'listwise'])
def test_cross_encoder_scores_groups_with_the_positive_first(loss, tmp_path):
    from text_align.data import cross_encoder_collate
    from text_align.losses import listwise_softmax_loss, pairwise_softmax_margin_loss
    from text_align.methods import CrossEncoderReranker
    path = write_tiny_bert(tmp_path / 'tb')
    rows = [dict(query='storm coast', positive='a storm hit the coast', negatives=['markets rallied', 'a cat']),
            dict(query='earnings', positive='strong earnings today', negatives=['rain fell', 'the storm'])]
    batch = cross_encoder_collate(rows, path, max_length=32)
    from transformers import AutoTokenizer
    tokens = AutoTokenizer.from_pretrained(path).batch_decode(batch['inputs']['pairs']['input_ids'],
                                                              skip_special_tokens=True)
    assert tokens == ['storm coast a storm hit the coast', 'storm coast markets rallied', 'storm coast a cat',
                      'earnings strong earnings today', 'earnings rain fell', 'earnings the storm']
    torch.manual_seed(0)
    model = CrossEncoderReranker(path, loss=loss).eval()
    with torch.no_grad():
        got = model(batch['inputs'], batch['data_samples'], mode='loss')['loss_rank']
        scores = model(batch['inputs'], mode='tensor').view(2, 3)
    reference = pairwise_softmax_margin_loss if loss == 'pairwise' else listwise_softmax_loss
    assert got.item() == pytest.approx(reference(scores).item(), rel=1e-6)
    with pytest.raises(ValueError, match='row 1 .* has 1 negatives, the batch\'s first row 2'):
        cross_encoder_collate([rows[0], dict(rows[1], negatives=['x'])], path)


def test_bm25_by_hand():
    from text_align.evaluation import bm25_run
    corpus = dict(a='storm storm coast', b='coast town today news', c='markets')
    run = bm25_run(dict(q='storm coast'), corpus, top_k=2, k1=0.9, b=0.4)['q']
    avgdl = (3 + 4 + 1) / 3

    def term(tf, df, length):
        return math.log(1 + (3 - df + .5) / (df + .5)) * tf * 1.9 / (tf + 0.9 * (0.6 + 0.4 * length / avgdl))
    assert run == pytest.approx(dict(a=term(2, 1, 3) + term(1, 2, 3), b=term(1, 2, 4)))


def write_beir(folder, docs, queries, qrels, split='test'):
    (folder / 'qrels').mkdir(parents=True, exist_ok=True)
    (folder / 'corpus.jsonl').write_text(''.join(json.dumps(dict(_id=k, text=v)) + '\n' for k, v in docs.items()))
    (folder / 'queries.jsonl').write_text(''.join(json.dumps(dict(_id=k, text=v)) + '\n' for k, v in queries.items()))
    (folder / 'qrels' / f'{split}.tsv').write_text(
        'query-id\tcorpus-id\tscore\n' + ''.join(f'{q}\t{d}\t{r}\n' for q, ds in qrels.items() for d, r in ds.items()))
    return str(folder)


def test_hard_negatives_are_bm25_candidates_never_judged_and_the_rerank_metric_equals_pytrec_eval(tmp_path):
    import pytrec_eval

    from text_align.data import BEIRRankingGroups, BEIRRerankPairs
    from text_align.evaluation import RerankMetric, bm25_run
    docs = {f'd{i}': f'storm number {i} hit coast {"town" if i % 2 else "city"}' for i in range(12)}
    docs.update(x0='markets rallied', x1='a cat slept')
    queries = dict(q0='storm coast town', q1='storm city', q2='unjudged query')
    qrels = dict(q0=dict(d1=2, d3=1, d5=0), q1=dict(d0=1))
    folder = write_beir(tmp_path / 'b', docs, queries, qrels, split='train')
    data = BEIRRankingGroups(folder, 'train', num_negatives=3, bm25_top_k=6, seed=0)
    assert [(r['query_id'], r['doc_id']) for r in data] == [('q0', 'd1'), ('q0', 'd3'), ('q1', 'd0')]
    pools = bm25_run({q: queries[q] for q in qrels}, docs, 6)
    for row in data:
        pool = {docs[d] for d in pools[row['query_id']] if d not in qrels[row['query_id']]}
        assert len(row['negatives']) == 3 and set(row['negatives']) <= pool  # d5 (judged 0) is never a negative
        assert row['anchor'] == row['query'] and row['negative'] == row['negatives'][0]
    pairs = BEIRRerankPairs(folder, 'train', top_k=5)
    assert len(pairs) == 10 and {r['query_id'] for r in pairs} == {'q0', 'q1'}
    metric = RerankMetric(folder, 'train')
    metric.process({}, [dict(r, score=float(len(r['doc_id']) + int(r['doc_id'][1:]) % 3)) for r in pairs])
    got = metric.compute_metrics(metric.results)
    run = {}
    for qid, did, score in metric.results:
        run.setdefault(qid, {})[did] = score
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {'ndcg_cut.10', 'recip_rank', 'map'})
    ref = evaluator.evaluate(run)
    assert got['nDCG@10'] == pytest.approx(100 * sum(v['ndcg_cut_10'] for v in ref.values()) / 2, abs=1e-4)
    assert got['MAP'] == pytest.approx(100 * sum(v['map'] for v in ref.values()) / 2, abs=1e-4)


def lead_set(folder, monkeypatch) -> str:
    """The demo's lead-sentence BEIR set (first 30 documents)."""
    sys.path.insert(0, str(REPO / 'tools/text'))
    from demo_bprop import make_lead_beir
    return make_lead_beir(str(folder), max_docs=30)


def train(config, options, tmp_path, monkeypatch) -> str:
    """tools/train.py in this process; returns the log."""
    monkeypatch.setattr(sys, 'argv', ['train.py', str(config), '--work-dir', str(tmp_path / 'work'),
                                      '--cfg-options'] + options)
    runpy.run_path(str(REPO / 'tools/train.py'), run_name='__main__')
    return next((tmp_path / 'work').glob('*/*.log')).read_text()


TINY = ['optim_wrapper.optimizer.lr=1e-3', 'train_cfg.max_iters=3', 'param_scheduler.0.end=3',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1', 'default_hooks.checkpoint.interval=3']


@pytest.mark.parametrize('config', ['rerank', 'biencoder'])
def test_finetuning_configs_train_under_tools_train_and_report_retrieval_metrics(config, tmp_path, monkeypatch):
    model = write_tiny_bert(tmp_path / 'tb')
    beir = lead_set(tmp_path / 'lead', monkeypatch)
    options = TINY + [f'train_dataloader.dataset.folder={beir}', f'val_dataloader.dataset.folder={beir}',
                      f'val_evaluator.folder={beir}', f'train_dataloader.collate_fn.model_path={model}',
                      f'val_dataloader.collate_fn.model_path={model}', 'train_cfg.val_interval=3']
    if config == 'rerank':
        log = train(RERANK, options + [f'model.model_path={model}', 'val_dataloader.dataset.top_k=3'], tmp_path,
                    monkeypatch)
        key, prefix = 'loss_rank', 'rerank'
    else:
        log = train(BIENCODER, options + [f'model.encoder.model_path={model}'], tmp_path, monkeypatch)
        key, prefix = 'loss_contrastive', 'retrieval'
    values = [float(v) for v in re.findall(rf'{key}: ([0-9.e+-]+)', log)]
    assert len(values) == 3 and all(math.isfinite(v) for v in values), values
    found = re.search(rf'{prefix}/nDCG@10: ([0-9.]+)', log)
    assert found and 0 <= float(found.group(1)) <= 100, log[-2000:]


def test_bprop_pretraining_config_trains_under_tools_train(tmp_path, monkeypatch):
    model = write_tiny_bert(tmp_path / 'tb')
    docs = tmp_path / 'docs.txt'
    docs.write_text(''.join(f'document {i} about storms markets coast town cats rain news sport weather '
                            f'politics {i} again\n' for i in range(6)))
    log = train(PRETRAIN, TINY + [f'model.model_path={model}', f'train_dataloader.collate_fn.model_path={model}',
                                  f'train_dataloader.dataset.model_path={model}', f'train_dataloader.dataset.ann_file={docs}',
                                  f'train_dataloader.dataset.cache_file={tmp_path}/cache.json',
                                  'train_dataloader.batch_size=2', 'train_dataloader.collate_fn.max_length=64',
                                  'train_dataloader.dataset.max_length=64'], tmp_path, monkeypatch)
    rop = [float(v) for v in re.findall(r'loss_rop: ([0-9.e+-]+)', log)]
    mlm = [float(v) for v in re.findall(r'loss_mlm: ([0-9.e+-]+)', log)]
    assert len(rop) == 3 and len(mlm) == 3
    # margin ranking on a softmaxed pair lies in [0, 2]; MLM starts near ln(vocabulary) for a random head
    assert all(0 <= v <= 2 for v in rop) and mlm[0] == pytest.approx(math.log(30522), rel=0.1)
    assert 'RepresentativeWordPairs: 60 pairs from 6 documents' in log


def test_save_encoder_hands_the_retrained_bert_to_the_reranker(tmp_path):
    from text_align.methods import BPROP, CrossEncoderReranker
    model = BPROP(write_tiny_bert(tmp_path / 'tb'))
    with torch.no_grad():
        model.bert.bert.encoder.layer[0].output.dense.weight.add_(1.0)  # as if trained: differs from the start
    reranker = CrossEncoderReranker(model.save_encoder(str(tmp_path / 'exported')))
    trained = model.bert.bert.state_dict()
    loaded = reranker.bert.state_dict()
    assert loaded.keys() == trained.keys()
    for key, value in trained.items():
        assert torch.equal(loaded[key], value), key
