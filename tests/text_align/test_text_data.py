"""Text data: JSONL/TSV pairs and their errors, NLI triplets, corpora, BEIR folders (missing documents), the
tokenising collate function and the no-duplicates batch sampler."""
import json

import pytest
import torch

from minilm import minilm_path
from text_align.data import (NLITripletDataset, NoDuplicatesBatchSampler, SentenceCorpus, TextPairDataset, load_beir,
                             tokenize_collate)


def write_jsonl(path, rows):
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return str(path)


def rows(dataset):
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return [{k: v for k, v in info.items() if k != 'sample_idx'} for info in infos]


def test_pairs_from_jsonl_and_tsv(tmp_path):
    jsonl = write_jsonl(tmp_path / 'pairs.jsonl', [dict(anchor='a', positive='b', extra=1), dict(anchor='c',
                                                                                                    positive='d')])
    assert rows(TextPairDataset(jsonl)) == [dict(anchor='a', positive='b'), dict(anchor='c', positive='d')]
    (tmp_path / 'sts.tsv').write_text('sentence1\tsentence2\tscore\nx\ty\t4.5\n')
    dataset = TextPairDataset(str(tmp_path / 'sts.tsv'), columns=('sentence1', 'sentence2'),
                              numeric_columns=('score', ))
    assert rows(dataset) == [dict(sentence1='x', sentence2='y', score=4.5)]
    (tmp_path / 'nli.csv').write_text('sent0,sent1,hard_neg\n"a, b",c,d\n')  # SimCSE's NLI file layout
    triplets = TextPairDataset(str(tmp_path / 'nli.csv'), columns=('anchor', 'positive', 'negative'),
                               skip_header=True)
    assert rows(triplets) == [dict(anchor='a, b', positive='c', negative='d')]


def test_bad_rows_are_named(tmp_path):
    bad = write_jsonl(tmp_path / 'bad.jsonl', [dict(anchor='a', positive='b'), dict(anchor='c')])
    with pytest.raises(ValueError, match='bad.jsonl:2: missing field'):
        TextPairDataset(bad)
    (tmp_path / 'short.tsv').write_text('only one field\n')
    with pytest.raises(ValueError, match='short.tsv:1: 1 delimited field'):
        TextPairDataset(str(tmp_path / 'short.tsv'))
    (tmp_path / 'empty.jsonl').write_text('\n')
    with pytest.raises(ValueError, match='holds no row'):
        TextPairDataset(str(tmp_path / 'empty.jsonl'))


def test_nli_pairs_become_triplets(tmp_path):
    path = write_jsonl(tmp_path / 'nli.jsonl', [
        dict(premise='p1', hypothesis='e1', label='entailment'), dict(premise='p1', hypothesis='c1',
                                                                      label='contradiction'),
        dict(premise='p1', hypothesis='n1', label='neutral'), dict(premise='p2', hypothesis='e2', label='entailment')])
    assert rows(NLITripletDataset(path)) == [dict(anchor='p1', positive='e1', negative='c1')]


def test_real_corpus_lines():
    corpus = SentenceCorpus('gensim:lee_background.cor', min_chars=20, max_items=50)
    assert len(corpus) == 50 and all(len(r['text']) >= 20 for r in rows(corpus))


def test_beir_folder_and_missing_documents(tmp_path):
    write_jsonl(tmp_path / 'corpus.jsonl', [dict(_id='d1', title='T', text='x'), dict(_id='d2', text='y')])
    write_jsonl(tmp_path / 'queries.jsonl', [dict(_id='q1', text='find x')])
    (tmp_path / 'qrels').mkdir()
    (tmp_path / 'qrels' / 'test.tsv').write_text('query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td9\t2\n')
    with pytest.raises(ValueError, match='test.tsv:3: query q1 judges document d9, which is not in corpus'):
        load_beir(str(tmp_path))
    corpus, queries, qrels = load_beir(str(tmp_path), missing_docs='drop')
    assert corpus['d1'] == dict(title='T', text='x') and queries == {'q1': 'find x'} and qrels == {'q1': {'d1': 1}}
    assert load_beir(str(tmp_path), missing_docs='keep')[2] == {'q1': {'d1': 1, 'd9': 2}}


def test_collate_pads_each_column_to_its_longest_text():
    batch = tokenize_collate([dict(anchor='short', positive='a much longer positive sentence here'),
                              dict(anchor='tiny', positive='two words')], minilm_path(), max_length=8)
    assert set(batch['inputs']) == {'anchor', 'positive'}
    assert batch['inputs']['anchor']['input_ids'].shape == (2, 3)
    assert batch['inputs']['positive']['input_ids'].shape == (2, 8)  # truncated at max_length
    assert batch['data_samples'][0]['anchor'] == 'short'


def test_no_duplicates_sampler_keeps_repeated_texts_apart(tmp_path):
    texts = ['a', 'b', 'a', 'c', 'b', 'd', 'e', 'a']
    path = write_jsonl(tmp_path / 'dups.jsonl', [dict(anchor=t, positive=f'p{i}') for i, t in enumerate(texts)])
    dataset = TextPairDataset(path)
    sampler = torch.utils.data.SequentialSampler(dataset)
    sampler.dataset = dataset
    batches = list(NoDuplicatesBatchSampler(sampler, batch_size=3, drop_last=False))
    for batch in batches:
        anchors = [texts[i] for i in batch]
        assert len(set(anchors)) == len(anchors), batches
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))


def test_no_duplicates_sampler_that_can_never_fill_a_batch_is_an_error(tmp_path):
    from mmengine.dataset import InfiniteSampler
    path = write_jsonl(tmp_path / 'few.jsonl', [dict(anchor=t, positive=t) for t in ['a', 'b', 'a', 'c', 'b']])
    dataset = TextPairDataset(path)
    with pytest.raises(ValueError, match=r'has 5 rows and only 3 distinct row\(s\).*batch_size=4 rows'):
        NoDuplicatesBatchSampler(InfiniteSampler(dataset, shuffle=True, seed=0), batch_size=4)
    # enough distinct rows, but once ('a', 'b') is placed neither ('a', 'x') nor ('y', 'b') can join it
    path = write_jsonl(tmp_path / 'clash.jsonl', [dict(anchor='a', positive='b'), dict(anchor='a', positive='x'),
                                                 dict(anchor='y', positive='b')])
    dataset = TextPairDataset(path)

    class Endless(torch.utils.data.Sampler):
        def __init__(self):
            self.dataset = dataset

        def __iter__(self):
            while True:
                yield from range(len(dataset))

    batches = NoDuplicatesBatchSampler(Endless(), batch_size=2)
    with pytest.raises(ValueError, match='after every row was drawn only 1 fit together'):
        next(iter(batches))


def test_collate_names_a_missing_text_and_reports_truncation_once(capsys):
    from mmengine.logging import MMLogger

    from text_align.data import collate
    with pytest.raises(ValueError, match=r"column 'positive' of row sample_idx=7 .* must be a string, got None"):
        tokenize_collate([dict(anchor='a', positive='b'), dict(anchor='c', positive=None, sample_idx=7)],
                         minilm_path())
    with pytest.raises(ValueError, match="column 'positive' of row .*got no such field"):
        tokenize_collate([dict(anchor='a')], minilm_path())
    MMLogger.get_instance('collate-truncation')  # a current logger writing to this test's stdout
    collate._truncation_reported = False
    long = ' '.join(['word'] * 20)
    rows = [dict(anchor=long, positive='short'), dict(anchor='tiny', positive='also short'),
            dict(anchor=long + ' more', positive='x')]
    tokenize_collate(rows, minilm_path(), max_length=8)
    tokenize_collate(rows, minilm_path(), max_length=8)
    out = capsys.readouterr().out
    assert out.count('exceed max_length=8') == 1
    assert "2 of 3 texts of column 'anchor' in this batch exceed max_length=8 tokens (longest 23)" in out


def test_beir_qrels_with_a_non_integer_score_name_the_line(tmp_path):
    write_jsonl(tmp_path / 'corpus.jsonl', [dict(_id='d1', text='x')])
    write_jsonl(tmp_path / 'queries.jsonl', [dict(_id='q1', text='find x')])
    (tmp_path / 'qrels').mkdir()
    (tmp_path / 'qrels' / 'test.tsv').write_text('query-id\tcorpus-id\tscore\nq1\td1\t0.5\n')
    with pytest.raises(ValueError, match=r"test.tsv:2: the score '0.5' is not an integer"):
        load_beir(str(tmp_path))
