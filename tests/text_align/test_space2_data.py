"""SPACE-2 data: the JSONL dialog reader and its errors, the MultiWOZ / intent-file converters, context rows, the
span MLM of the collate function, and the labelled + unlabelled batch schedule."""
import json

import pytest
import torch

from minilm import minilm_path
from text_align.data import (DialogTurnDataset, SemiSupervisedBatchSampler, context_row, dialog_collate, read_dialogs,
                             span_mlm)
from text_align.data.dialog_converters import convert_intent_file, convert_multiwoz
from text_align.losses import score_matrices

DIALOG = dict(dialog_id='d1', turns=[
    dict(speaker='user', text='I want a cheap hotel in the North', domain='hotel', intent='find_hotel',
         slots=[dict(slot='price', value='cheap', start=9, end=14), dict(slot='area', value='north')],
         state={'Hotel-Price': 'Cheap'}),
    dict(speaker='system', text='the acorn is cheap'),
    dict(speaker='user', text='book it for two people'),
    dict(speaker='system', text='done'),
    dict(text='thanks', frame={'general': {'thank': {}}})])


def write(path, lines):
    path.write_text(''.join((line if isinstance(line, str) else json.dumps(line)) + '\n' for line in lines))
    return str(path)


def test_reader_normalises_labels_spans_and_state(tmp_path):
    turns = read_dialogs(write(tmp_path / 'd.jsonl', [DIALOG]))[0]['turns']
    first = turns[0]
    assert first['frame'] == {'hotel': {'find_hotel': {'price': ['cheap'], 'area': ['north']}}}
    assert first['spans'] == [(9, 14, 'price'), (28, 33, 'area')]  # given, and found case-insensitively
    assert first['state'] == {'hotel-price': 'cheap'} and first['labelled']
    assert [t['labelled'] for t in turns] == [True, False, False, False, True]
    assert turns[4]['speaker'] == 'user'  # alternating default from the first turn


@pytest.mark.parametrize('line, message', [
    ('{"turns": [', r'd.jsonl:2: not valid JSON'),
    ({'dialog_id': 'x'}, r'd.jsonl:2: a dialog needs a "turns" list'),
    ({'turns': [{'text': 'hi', 'intent': 'greet', 'slots': [{'value': 'north'}]}]},
     r'd.jsonl:2 turn 0: slot entry 0 has a value but no slot name'),
    ({'turns': [{'text': 3}]}, r'd.jsonl:2 turn 0: key "text" must be a string'),
    ({'turns': [{'text': 'hi', 'speaker': 'bot'}]}, r'd.jsonl:2 turn 0: key "speaker" must be one of'),
    ({'turns': [{'text': 'hi', 'slots': [{'slot': 'a', 'value': 'b', 'start': 0, 'end': 9}]}]},
     r'turn 0: slot \'a\' has span \[0, 9\] outside the text')])
def test_reader_errors_name_file_line_and_key(tmp_path, line, message):
    with pytest.raises(ValueError, match=message):
        read_dialogs(write(tmp_path / 'd.jsonl', [DIALOG, line]))


def test_multiwoz_conversion(tmp_path):
    log = [dict(text='i need a cheap hotel in the north .', metadata={},
                dialog_act={'Hotel-Inform': [['Price', 'cheap'], ['Area', 'north']], 'Hotel-Request': [['Phone', '?']]},
                span_info=[['Hotel-Inform', 'Price', 'cheap', 3, 3]]),
           dict(text='ok', metadata={'hotel': {'semi': {'pricerange': 'cheap', 'area': 'not mentioned'},
                                               'book': {'booked': [], 'day': ''}}}),
           dict(text='bye', dialog_act={'general-bye': [['none', 'none']]}, metadata={})]
    source = tmp_path / 'data.json'
    source.write_text(json.dumps({'MUL1.json': dict(log=log)}))
    dialogs = convert_multiwoz(str(source))
    (tmp_path / 'out.jsonl').write_text(''.join(json.dumps(d) + '\n' for d in dialogs))
    turns = read_dialogs(str(tmp_path / 'out.jsonl'))[0]['turns']
    assert turns[0]['frame'] == {'hotel': {'inform': {'price': ['cheap'], 'area': ['north']},
                                           'request': {'phone': []}}}
    assert turns[0]['spans'] == [(9, 14, 'price'), (28, 33, 'area')]  # word span 3..3, and the found value
    assert turns[0]['state'] == {'hotel-pricerange': 'cheap'}
    assert [t['speaker'] for t in turns] == ['user', 'system', 'user'] and not turns[1]['labelled']
    assert turns[2]['frame'] == {'general': {'bye': {}}}
    source.write_text(json.dumps({'MUL2.json': dict(log=[dict(txt='hi')])}))
    with pytest.raises(ValueError, match=r"dialog 'MUL2.json' turn 0: key \"text\" missing"):
        convert_multiwoz(str(source))


def test_intent_file_conversion(tmp_path):
    csv_file = tmp_path / 'train.csv'
    csv_file.write_text('text,category\n"how do I top up, please",top_up\nmy card is lost,lost_card\n')
    dialogs = convert_intent_file(str(csv_file))
    assert dialogs[0] == dict(dialog_id='train-0', turns=[dict(speaker='user', text='how do I top up, please',
                                                              intent='top_up')])
    tsv = tmp_path / 'hwu.tsv'
    tsv.write_text('wake me up at 7\talarm_set\nplay jazz\n')
    with pytest.raises(ValueError, match=r'hwu.tsv:2: a row needs a text and a label'):
        convert_intent_file(str(tsv))
    (tmp_path / 'bad.csv').write_text('sentence,label\nhi,greet\n')
    with pytest.raises(ValueError, match=r"missing \['text', 'category'\]"):
        convert_intent_file(str(tmp_path / 'bad.csv'))


def test_context_rows_shift_spans_and_split_the_pools(tmp_path):
    turns = read_dialogs(write(tmp_path / 'd.jsonl', [DIALOG]))[0]['turns']
    row = context_row(turns, 2, context_turns=3, separator=' | ')
    assert row['text'] == 'I want a cheap hotel in the North | the acorn is cheap | book it for two people'
    assert row['value_spans'] == [(9, 14), (28, 33)] and row['span_turns'] == [(0, 33)]
    assert not row['labelled'] and row['frame'] is None
    data = DialogTurnDataset(str(tmp_path / 'd.jsonl'), context_turns=2)
    assert data.labelled_indices == [0, 2] and data.unlabelled_indices == [1]
    assert data[2]['text'] == 'done [SEP] thanks'


def test_span_mlm_masks_exactly_the_value_tokens_of_labelled_turns():
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    text = 'a cheap hotel in the north [SEP] book it for two'
    rows = [dict(text=text, value_spans=[(2, 7), (21, 26)], span_turns=[(0, 26)])]
    encoded = tokenizer([text], return_tensors='pt', return_offsets_mapping=True, return_special_tokens_mask=True)
    masked, labels = span_mlm(encoded, rows, tokenizer, probability=0.0)
    words = tokenizer.convert_ids_to_tokens(encoded['input_ids'][0])
    assert [w for w, lab in zip(words, labels[0]) if lab != -100] == ['cheap', 'north']
    assert (masked[labels != -100] == tokenizer.mask_token_id).all()
    assert torch.equal(masked[labels == -100], encoded['input_ids'][labels == -100])
    masked, labels = span_mlm(encoded, rows, tokenizer, probability=1.0)  # the unlabelled turn: all predicted
    assert [w for w, lab in zip(words, labels[0]) if lab != -100] == ['cheap', 'north', 'book', 'it', 'for', 'two']


def test_collate_splits_groups_and_scores_the_labelled(tmp_path):
    data = DialogTurnDataset(write(tmp_path / 'd.jsonl', [DIALOG, DIALOG]), context_turns=1)
    batch = dialog_collate([data[i] for i in range(len(data))], model_path=minilm_path(), max_length=32)
    inputs = batch['inputs']
    assert inputs['labelled']['input_ids'].shape[0] == 4 and inputs['unlabelled']['input_ids'].shape[0] == 2
    expected = score_matrices([data[i]['frame'] for i in data.labelled_indices])
    torch.testing.assert_close(inputs['scores'], torch.from_numpy(expected))
    assert inputs['labelled_mlm']['labels'].shape == inputs['labelled']['input_ids'].shape


def test_each_step_holds_one_labelled_and_one_unlabelled_batch_split_over_processes(tmp_path, monkeypatch):
    data = DialogTurnDataset(write(tmp_path / 'd.jsonl', [DIALOG] * 6), context_turns=1)  # 12 labelled, 6 not
    labelled, unlabelled = set(data.labelled_indices), set(data.unlabelled_indices)
    steps = {}
    for rank in (0, 1):
        monkeypatch.setattr('text_align.data.dialog_batch_sampler.get_dist_info', lambda r=rank: (r, 2))
        sampler = SemiSupervisedBatchSampler(type('S', (), dict(dataset=data, seed=3))(), batch_size=2,
                                             unlabelled_batch_size=1)
        assert len(sampler) == 3  # the larger pool: 6 labelled rows per process in batches of 2
        steps[rank] = list(sampler)
        assert all(set(s[:2]) <= labelled and set(s[2:]) <= unlabelled and len(s) == 3 for s in steps[rank])
    first_pass = [set(i for s in steps[r] for i in s[:2]) for r in (0, 1)]
    assert first_pass[0].isdisjoint(first_pass[1]) and first_pass[0] | first_pass[1] == labelled
    with pytest.raises(ValueError, match='has 6 unlabelled rows, fewer than one unlabelled batch of 4'):
        SemiSupervisedBatchSampler(type('S', (), dict(dataset=data, seed=3))(), batch_size=2,
                                   unlabelled_batch_size=4)
