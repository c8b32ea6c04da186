"""Open-vocabulary class lists: novel names from metainfo or LVIS frequencies, and the hook that sets them."""
import json
from types import SimpleNamespace

import pytest
import torch

from dense_align.dito.vocabulary import base_label_map, lvis_rare_names, split_vocabulary
from dense_align.dito.vocabulary_hook import OpenVocabularyHook


def test_base_label_map_skips_novel_classes():
    _, mask = split_vocabulary(['a', 'b', 'c', 'd'], ['b'])
    assert base_label_map(mask).tolist() == [0, -1, 1, 2]


def test_lvis_rare_names_and_missing_frequency_names_the_file(tmp_path):
    good = tmp_path / 'lvis.json'
    good.write_text(json.dumps(dict(categories=[dict(id=1, name='cat', frequency='f'),
                                                dict(id=2, name='okapi', frequency='r')])))
    assert lvis_rare_names(str(good)) == ['okapi']
    bad = tmp_path / 'coco_like.json'
    bad.write_text(json.dumps(dict(categories=[dict(id=1, name='cat')])))
    with pytest.raises(ValueError, match=r'coco_like\.json.*frequency'):
        lvis_rare_names(str(bad))


def test_hook_sets_each_loops_vocabulary_from_its_dataset(tmp_path):
    calls = []
    model = SimpleNamespace(set_vocabulary=lambda classes, novel, source: calls.append((list(classes), novel)))
    ann = tmp_path / 'val.json'
    ann.write_text(json.dumps(dict(categories=[dict(id=1, name='cat', frequency='f'),
                                               dict(id=2, name='okapi', frequency='r')])))
    train = SimpleNamespace(metainfo=dict(classes=('cat', 'dog'), novel_classes=()), ann_file=None)
    val = SimpleNamespace(metainfo=dict(classes=('cat', 'okapi'), novel_frequency='r'), ann_file=str(ann))
    runner = SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=train),
                             val_dataloader=SimpleNamespace(dataset=val))
    hook = OpenVocabularyHook()
    hook.before_train(runner)
    hook.before_val(runner)
    assert calls == [(['cat', 'dog'], []), (['cat', 'okapi'], ['okapi'])]
    assert torch.equal(split_vocabulary(*calls[1])[1], torch.tensor([False, True]))
