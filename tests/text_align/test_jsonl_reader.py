"""The JSONL reading that the dialog and graded-list readers share: blank lines skipped with the line count kept, a
bad line named by file and line, a missing or empty file refused with the reader's name."""
import pytest

from text_align.data import read_dialogs, read_graded_lists
from text_align.data.jsonl import jsonl_records


def test_records_keep_their_line_numbers_across_blank_lines(tmp_path):
    path = tmp_path / 'r.jsonl'
    path.write_text('{"a": 1}\n\n   \n[2, 3]\n"x"\n')
    assert list(jsonl_records(str(path), 'reader')) == [
        (f'{path}:1', 1, {'a': 1}), (f'{path}:4', 4, [2, 3]), (f'{path}:5', 5, 'x')]


def test_a_bad_line_a_missing_and_an_empty_file_are_named(tmp_path):
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(ValueError, match=r'^reader: .*bad\.jsonl:3: not valid JSON \(Expecting value\)$'):
        list(jsonl_records(str(bad), 'reader'))
    with pytest.raises(FileNotFoundError, match=r'^reader: .*nowhere\.jsonl does not exist$'):
        list(jsonl_records(str(tmp_path / 'nowhere.jsonl'), 'reader'))
    empty = tmp_path / 'empty.jsonl'
    empty.write_text('\n  \n')
    with pytest.raises(ValueError, match=r'^reader: .*empty\.jsonl holds no line \(no non-blank line\)$'):
        list(jsonl_records(str(empty), 'reader', 'line'))


@pytest.mark.parametrize('read, what', [(read_dialogs, 'read_dialogs: .* holds no dialog'),
                                        (read_graded_lists, 'read_graded_lists: .* holds no graded list')])
def test_both_readers_refuse_an_empty_file_and_name_a_bad_line(tmp_path, read, what):
    empty = tmp_path / 'empty.jsonl'
    empty.write_text('\n')
    with pytest.raises(ValueError, match=what):
        read(str(empty))
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('\n{"turns": [\n')
    with pytest.raises(ValueError, match=rf'{read.__name__}: .*bad\.jsonl:2: not valid JSON'):
        read(str(bad))


def test_beir_and_text_dataset_readers_name_a_bad_json_line(tmp_path):
    from text_align.data import load_beir, read_records
    (tmp_path / 'corpus.jsonl').write_text('{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": \n')
    (tmp_path / 'queries.jsonl').write_text('{"_id": "q1", "text": "find x"}\n')
    with pytest.raises(ValueError, match=r'BEIR folder: .*corpus\.jsonl:2: not valid JSON'):
        load_beir(str(tmp_path))
    (tmp_path / 'corpus.jsonl').write_text('\n')
    with pytest.raises(ValueError, match=r'BEIR folder: .*corpus\.jsonl holds no record'):
        load_beir(str(tmp_path))
    (tmp_path / 'pairs.jsonl').write_text('{"anchor": "a", "positive": "b"}\n["anchor"]\n')
    with pytest.raises(ValueError, match=r'pairs\.jsonl:2: missing field\(s\) \[\'anchor\', \'positive\'\]'):
        read_records(str(tmp_path / 'pairs.jsonl'), ('anchor', 'positive'))
