"""DialoGLUE-style evaluators: span-level slot F1 by seqeval's rules (hand-computed, seqeval is not installed in the
project's environment), BIO tags from character spans, intent accuracy and joint goal accuracy."""
import pytest

from text_align.evaluation import bio_tags, entities, intent_accuracy, joint_goal_accuracy, slot_f1


def test_entities_follow_seqeval_default_mode():
    assert entities(['O', 'B-area', 'I-area', 'O', 'I-food']) == [('area', 1, 2), ('food', 4, 4)]  # I after O opens
    assert entities(['B-a', 'I-b', 'I-b', 'B-b']) == [('a', 0, 0), ('b', 1, 2), ('b', 3, 3)]  # type change splits
    assert entities(['I-a', 'I-a', 'O', 'B-a']) == [('a', 0, 1), ('a', 3, 3)]


def test_slot_f1_by_hand():
    gold = [['O', 'B-area', 'I-area', 'O', 'B-food'], ['B-name', 'I-name', 'O']]
    predicted = [['O', 'B-area', 'I-area', 'O', 'I-food'], ['B-name', 'O', 'B-name']]
    # gold: area(1-2), food(4), name(0-1); predicted: area(1-2), food(4), name(0), name(2) -> 2 correct of 4 / 3
    scores = slot_f1(gold, predicted)
    assert scores['precision'] == pytest.approx(50.0) and scores['recall'] == pytest.approx(200 / 3)
    assert scores['f1'] == pytest.approx(100 * 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))  # 57.14
    assert scores['f1_macro'] == pytest.approx(100 * 2 / 3)  # area 1, food 1, name 0
    with pytest.raises(ValueError, match='sentence 1 has 3 gold tags but 2 predicted'):
        slot_f1(gold, [predicted[0], ['O', 'O']])


def test_bio_tags_from_character_spans():
    words, tags = bio_tags('a cheap room for two people in kings lynn.', [(2, 7, 'price'), (31, 41, 'destination')])
    assert words == ['a', 'cheap', 'room', 'for', 'two', 'people', 'in', 'kings', 'lynn', '.']
    assert tags == ['O', 'B-price', 'O', 'O', 'O', 'O', 'O', 'B-destination', 'I-destination', 'O']


def test_intent_accuracy_and_joint_goal_accuracy_by_hand():
    assert intent_accuracy(['Greet', 'book', 'find', 'bye'], ['greet', 'book', 'book', 'bye'])['accuracy'] == 75.0
    predicted = [{'hotel-area': 'north'}, {'hotel-area': 'north', 'hotel-stars': 'none'}, {'hotel-area': 'south'}]
    gold = [{'hotel-area': 'North '}, {'hotel-area': 'north', 'hotel-day': 'not mentioned'},
            {'hotel-area': 'north', 'hotel-day': 'monday'}]
    scores = joint_goal_accuracy(predicted, gold)
    # turns 1 and 2 match once empty values are dropped; turn 3 misses both slots: 2 of 4 named slots right
    assert scores['joint_goal_accuracy'] == pytest.approx(200 / 3)
    assert scores['slot_accuracy'] == pytest.approx(50.0)
    with pytest.raises(ValueError, match='equally long'):
        joint_goal_accuracy(predicted, gold[:2])
