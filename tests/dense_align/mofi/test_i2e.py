"""I2E: mentions by the name matcher (normalised, longest first), score filtering by absolute / margin / top-k
thresholds, deduplication, the frequency cut-off, restart from finished parts, and the bad inputs of the issue."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from dense_align.mofi.entity_dataset import EntityImageDataset
from dense_align.mofi.entity_recognizer import NameMatcher
from dense_align.mofi.entity_table import Entity, read_entity_table, write_entity_table
from dense_align.mofi.i2e_builder import build_i2e
from dense_align.mofi.i2e_filter import ScoreFilter, drop_rare_entities

VOCAB = [Entity('Q1', 'Eiffel Tower', 'tower in Paris', ['Tour Eiffel']), Entity('Q2', 'Paris'),
         Entity('Q3', 'tower'), Entity('Q4', 'Crème brûlée', 'a dessert')]


def test_name_matcher_normalises_and_prefers_longest_match():
    match = NameMatcher(VOCAB)
    assert match('Sunset at the EIFFEL-tower, paris!! #travel') == [('Q1', 'eiffel tower'), ('Q2', 'paris')]
    assert match('creme brulee in tour eiffel; a tower') == [('Q4', 'creme brulee'), ('Q1', 'tour eiffel'),
                                                               ('Q3', 'tower')]
    assert match('parisian towers') == []  # whole words only


def test_score_filter_steps_and_rare_entities():
    cands = [('a', 0.30), ('b', 0.25), ('c', 0.10), ('a', 0.20), ('d', 0.28)]
    steps = ScoreFilter(min_score=0.2, margin=0.04, top_k=2).steps(cands)
    assert steps['min_score'] == [('a', 0.30), ('d', 0.28), ('b', 0.25)]
    assert steps['margin'] == [('a', 0.30), ('d', 0.28)]
    assert ScoreFilter(top_k=1).steps(cands)['top_k'] == [('a', 0.30)]
    labels, counts = drop_rare_entities([['a', 'b'], ['a'], ['b', 'b'], ['c']], min_images=2)
    assert labels == [['a', 'b'], ['a'], ['b'], []] and counts == {'a': 2, 'b': 2}


def _pairs(tmp_path):
    """5 images (the 5th a byte copy of the 1st) with alt-texts; pixel value v encodes what the stub CLIP likes."""
    rows = [('0.png', 'eiffel tower at night in Paris'), ('1.png', 'Paris street, tour eiffel poster'),
            ('2.png', 'a tower and Crème Brûlée'), ('3.png', 'no entity here'), ('4.png', 'copy: eiffel tower')]
    for i in range(4):
        Image.fromarray(np.full((8, 8, 3), i * 10, np.uint8)).save(tmp_path / f'{i}.png')
    shutil.copy(tmp_path / '0.png', tmp_path / '4.png')
    (tmp_path / 'broken.png').write_bytes(b'not a png')
    rows.append(('broken.png', 'Paris'))
    with open(tmp_path / 'pairs.csv', 'w') as f:
        f.write('filepath,caption\n' + ''.join(f'{p},"{c}"\n' for p, c in rows))
    return tmp_path / 'pairs.csv'


class StubScores:
    """Entity Q1 scores 0.3 everywhere, Q2 0.25 on image 1 and 0.1 elsewhere, others 0.05; counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, image, texts):
        self.calls += 1
        value = int(image[0, 0, 0]) // 10
        table = {'a photo of a Eiffel Tower.': 0.3, 'a photo of a Paris.': 0.25 if value == 1 else 0.1}
        return [table.get(t, 0.05) for t in texts]


def test_build_i2e_end_to_end_restart_and_outputs(tmp_path):
    pairs = _pairs(tmp_path)
    out = tmp_path / 'out'
    scores = StubScores()
    run = dict(entities=VOCAB, recognizer=NameMatcher(VOCAB), out_dir=str(out), image_root=str(tmp_path),
               score_filter=ScoreFilter(min_score=0.2), min_images=1, part_size=2, progress=False)
    summary = build_i2e(str(pairs), score_fn=scores, **run)
    assert (summary.pairs_read, summary.decode_failures, summary.images_with_mentions) == (6, 1, 4)
    assert summary.mentions == 7 and summary.duplicates_removed == 1
    assert summary.after_step['candidates'] == 6 and summary.after_step['min_score'] == 3
    lines = [json.loads(line) for line in (out / 'labels.jsonl').read_text().splitlines()]
    assert [(r['image'], r['entity_ids'], r['labels']) for r in lines] == [
        ('0.png', ['Q1'], [0]), ('1.png', ['Q1', 'Q2'], [0, 1])]
    table = read_entity_table(str(out / 'entities.jsonl'))
    assert [(e.id, e.count, e.description) for e in table] == [('Q1', 2, 'tower in Paris'), ('Q2', 1, None)]
    calls = scores.calls
    again = build_i2e(str(pairs), score_fn=scores, **dict(run, min_images=2))  # parts reused, new cut-off
    assert scores.calls == calls and again.parts_skipped == 3 and again.entities_kept == 1
    dataset = EntityImageDataset(ann_file=str(out / 'labels.jsonl'), entity_file=str(out / 'entities.jsonl'),
                                 data_prefix=dict(img=str(tmp_path)), lazy_init=False)
    assert dataset[1]['entity_texts'] == ['Eiffel Tower. tower in Paris'] and dataset.metainfo['classes'] == (
        'Eiffel Tower', )
    with pytest.raises(ValueError, match='min_score threshold \\(0.9\\) removed every label'):
        build_i2e(str(pairs), score_fn=scores, **dict(run, score_filter=ScoreFilter(min_score=0.9)))
    with pytest.raises(ValueError, match='min_images threshold \\(5\\)'):
        build_i2e(str(pairs), score_fn=scores, **dict(run, min_images=5))


def test_bad_vocabularies_and_labels_are_named(tmp_path):
    with pytest.raises(ValueError, match="duplicate entity id 'Q1'"):
        NameMatcher([Entity('Q1', 'a'), Entity('Q1', 'b')])
    with pytest.raises(ValueError, match="'tour  eiffel ' maps to two ids, 'Q1' and 'Q9'"):
        NameMatcher(VOCAB + [Entity('Q9', 'tour  eiffel ')])
    write_entity_table(str(tmp_path / 'entities.jsonl'), VOCAB[:2])
    (tmp_path / 'labels.jsonl').write_text(json.dumps(dict(image='x.png', labels=[0])) + '\n' +
                                           json.dumps(dict(image='y.png', labels=[1, 2])) + '\n')
    with pytest.raises(ValueError, match="labels.jsonl:2 \\(image 'y.png'\\): label\\(s\\) \\[2\\] outside"):
        EntityImageDataset(ann_file=str(tmp_path / 'labels.jsonl'), entity_file=str(tmp_path / 'entities.jsonl'),
                           lazy_init=False)
