"""I2E's spaCy recogniser (``--recognizer spacy``): an EntityRuler built from the vocabulary on a blank English
pipeline (offline), an installed pipeline's own entities linked by normalised name, the error for a pipeline that is
not installed, and its mentions against the default ``names`` recogniser on the demo's alt-texts."""
import csv
import importlib.util

import pytest
import spacy

from dense_align.mofi.entity_recognizer import NameMatcher, SpacyEntityRuler, build_recognizer
from dense_align.mofi.entity_table import Entity

from conftest import REPO

VOCAB = [Entity('Q1', 'Eiffel Tower', 'tower in Paris', ['Tour Eiffel']), Entity('Q2', 'Paris'),
         Entity('Q3', 'tower'), Entity('Q4', 'Crème brûlée', 'a dessert'), Entity(7, 'New York City', None, ['NYC'])]


def test_blank_pipeline_ruler_mentions():
    ruler = build_recognizer('spacy', VOCAB)
    assert isinstance(ruler, SpacyEntityRuler) and ruler.nlp.pipe_names == ['i2e_entity_ruler']
    # case folded, longest match first, ids of any type kept, aliases, the accent-folded form of a name
    assert ruler('Sunset at the EIFFEL TOWER, paris!! #travel') == [('Q1', 'EIFFEL TOWER'), ('Q2', 'paris')]
    assert ruler('creme brulee in tour eiffel; a tower in nyc') == [
        ('Q4', 'creme brulee'), ('Q1', 'tour eiffel'), ('Q3', 'tower'), (7, 'nyc')]
    assert ruler('parisian towers') == []  # whole tokens only
    # where the token-based ruler differs from the names matcher (README): punctuation inside a name, and accented
    # text against an unaccented name
    assert ruler('the EIFFEL-tower') == [('Q3', 'tower')]
    assert NameMatcher(VOCAB)('the EIFFEL-tower') == [('Q1', 'eiffel tower')]
    plain = build_recognizer('spacy', [Entity('Q9', 'Cafe Tortoni')])
    assert plain('Café Tortoni') == [] and NameMatcher([Entity('Q9', 'Cafe Tortoni')])('Café Tortoni') == [
        ('Q9', 'cafe tortoni')]


def test_installed_pipeline_entities_are_linked_by_name(tmp_path):
    # a stand-in for an installed pipeline: its 'ner' step tags spans (here with a rule, no model download)
    nlp = spacy.blank('en')
    ner = nlp.add_pipe('entity_ruler', name='ner')
    ner.add_patterns([dict(label='FOOD', pattern='CREME BRULEE'), dict(label='PERSON', pattern='Gustave Eiffel'),
                      dict(label='GPE', pattern='Paris')])
    nlp.to_disk(tmp_path / 'pipe')
    ruler = SpacyEntityRuler(VOCAB, str(tmp_path / 'pipe'))
    assert ruler.nlp.pipe_names == ['i2e_entity_ruler', 'ner']  # the vocabulary's ruler first
    # 'CREME BRULEE' tagged by the pipeline and linked by its normalised name; 'Gustave Eiffel' is no entity of the
    # vocabulary and is dropped; 'Paris' is found by both
    assert ruler('Gustave Eiffel ate CREME BRULEE in Paris') == [('Q4', 'CREME BRULEE'), ('Q2', 'Paris')]


def test_missing_pipeline_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'en_core_web_not_there' \(--spacy-pipeline\) is neither an installed"):
        SpacyEntityRuler(VOCAB, 'en_core_web_not_there')
    with pytest.raises(ValueError, match="recognizer must be 'names' or 'spacy'"):
        build_recognizer('ner', VOCAB)


def test_same_mentions_as_names_recogniser_on_demo_alt_texts(demo_root, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('demo_mofi_tool', REPO / 'tools/demo_mofi.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    monkeypatch.setattr(demo, 'ROOT', str(demo_root))
    demo.write_alt_texts(str(tmp_path))
    vocab = demo.read_vocab(str(tmp_path / 'vocab.jsonl'))
    captions = [row['caption'] for row in csv.DictReader(open(tmp_path / 'alt_text_train.csv'))]
    names, ruler = NameMatcher(vocab), SpacyEntityRuler(vocab)
    found = [[e for e, _ in ruler(c)] for c in captions]
    assert found == [[e for e, _ in names(c)] for c in captions]
    assert len(captions) == 24 and sum(map(len, found)) > 24  # most captions mention one or more shapes
