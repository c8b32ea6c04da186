"""Text tools: BEIR evaluation of the shipped MiniLM on a generated folder, and the benchmark smoke run."""
import json

from conftest import run_tool


def write_beir(folder):
    topics = ['The cat sat on the warm windowsill all afternoon.', 'Stock markets fell sharply after the report.',
              'The recipe needs two cups of flour and an egg.', 'A new telescope photographed a distant galaxy.']
    (folder / 'qrels').mkdir(parents=True)
    (folder / 'corpus.jsonl').write_text(''.join(json.dumps(dict(_id=f'd{i}', title='', text=t)) + '\n'
                                                 for i, t in enumerate(topics)))
    questions = ['where did the cat sit', 'what happened to stocks', 'how much flour', 'what did the telescope see']
    (folder / 'queries.jsonl').write_text(''.join(json.dumps(dict(_id=f'q{i}', text=t)) + '\n'
                                                  for i, t in enumerate(questions)))
    (folder / 'qrels' / 'test.tsv').write_text('query-id\tcorpus-id\tscore\n' +
                                              ''.join(f'q{i}\td{i}\t1\n' for i in range(4)))


def test_beir_evaluation_of_the_shipped_model(tmp_path):
    write_beir(tmp_path / 'beir')
    result = run_tool(['tools/text/eval_beir.py', tmp_path / 'beir', '--model-path', 'shipped:all-MiniLM-L6-v2',
                       '--out', tmp_path / 'metrics.json'])
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert metrics['nDCG@10'] == 1.0 and metrics['Recall@100'] == 1.0 and metrics['MRR@10'] == 1.0


def test_beir_evaluation_names_a_missing_document(tmp_path):
    write_beir(tmp_path / 'beir')
    with open(tmp_path / 'beir' / 'qrels' / 'test.tsv', 'a') as f:
        f.write('q0\td99\t1\n')
    result = run_tool(['tools/text/eval_beir.py', tmp_path / 'beir', '--model-path', 'shipped:all-MiniLM-L6-v2'])
    assert result.returncode != 0 and 'judges document d99, which is not in corpus' in result.stderr


def test_text_training_benchmark_runs():
    result = run_tool(['tools/analysis/benchmark_text_training.py', '--batch', '4', '--max-length', '16',
                       '--reps', '1', '--device', 'cpu'])
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(('training', 'encode'))]
    assert len(rows) == 2 and all(float(row[-2]) > 0 for row in rows)


def test_retrieval_metric_in_the_runner_loop(tmp_path):
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    from text_align.data import BEIRDataset, tokenize_collate
    from text_align.registry import METRICS, MODELS
    init_default_scope('text_align')
    write_beir(tmp_path / 'beir')
    dataset = BEIRDataset(str(tmp_path / 'beir'))
    rows = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [r['kind'] for r in rows] == ['query'] * 4 + ['doc'] * 4
    model = MODELS.build(dict(type='SimCSE', encoder=dict(type='TextEncoder', model_path='shipped:all-MiniLM-L6-v2')))
    model.eval()
    evaluator = Evaluator(METRICS.build(dict(type='RetrievalMetric', folder=str(tmp_path / 'beir'))))
    for start in range(0, len(rows), 3):
        batch = tokenize_collate(rows[start:start + 3], 'shipped:all-MiniLM-L6-v2', columns=('text', ))
        evaluator.process(model(batch['inputs'], batch['data_samples'], mode='predict'), batch)
    metrics = evaluator.evaluate(len(rows))
    assert metrics['retrieval/nDCG@10'] == 100.0 and metrics['retrieval/MAP'] == 100.0


def _eval_beir_module():
    import sys

    from conftest import REPO
    sys.path.insert(0, str(REPO / 'tools' / 'text'))
    import eval_beir
    return eval_beir


def test_beir_evaluation_rejects_unjudged_folders_and_checkpoints_that_do_not_fit(tmp_path, monkeypatch):
    import pytest
    import torch

    eval_beir = _eval_beir_module()
    write_beir(tmp_path / 'beir')
    (tmp_path / 'beir' / 'qrels' / 'test.tsv').write_text('query-id\tcorpus-id\tscore\nq9\td0\t1\n')
    monkeypatch.setattr('sys.argv', ['eval_beir.py', str(tmp_path / 'beir'), '--model-path', 'shipped:x'])
    with pytest.raises(SystemExit, match='no query of queries.jsonl has a judgement in qrels/test.tsv'):
        eval_beir.main()
    config = 'configs/text/simcse/simcse-unsup_minilm-l6_1xb32-150it_lee-news.py'
    torch.save({'state_dict': {'encoder.projection.weight': torch.zeros(2, 2)}}, tmp_path / 'other.pth')
    write_beir(tmp_path / 'beir2')
    monkeypatch.setattr('sys.argv', ['eval_beir.py', str(tmp_path / 'beir2'), '--config', config, '--checkpoint',
                                     str(tmp_path / 'other.pth')])
    with pytest.raises(SystemExit, match=r"other.pth does not fit the model of .*unexpected 1 key\(s\) "
                                         r"\['encoder.projection.weight'\]"):
        eval_beir.main()


def test_beir_evaluation_length_defaults_to_the_model_limit():
    import argparse

    eval_beir = _eval_beir_module()
    args = argparse.Namespace(model_path='shipped:all-MiniLM-L6-v2', max_length=None)
    assert eval_beir.build_encoder(args).max_length == 512  # BERT positions; the folder's training length is 256
    args.max_length = 300
    assert eval_beir.build_encoder(args).max_length == 300


def test_text_methods_benchmark_times_every_method_against_infonce(tmp_path):
    from tiny_bert import write_tiny_bert
    model = write_tiny_bert(tmp_path / 'tiny_bert')
    result = run_tool(['tools/analysis/benchmark_text_methods.py', '--model', model, '--texts', '10', '--reps', '1',
                       '--max-length', '16', '--docs', '2', '--attention-length', '64'])
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if 'ratio' in line}
    assert sorted(rows) == ['B-PROP', 'CCP', 'RTD+contr', 'SupReMix', 'SyCL-WS2']
    for row in rows.values():  # method ms, InfoNCE ms, and their ratio as printed
        assert abs(float(row[1]) / float(row[4]) - float(row[-1])) < 0.01 + 0.01 * float(row[-1])
