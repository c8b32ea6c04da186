"""SPACE-2's semantic tree and multi-view score against hand-computed Jaccard values (released rules: placeholder
elements dropped, views empty in both trees left out of the mean, empty trees score 0, diagonal 1)."""
import numpy as np
import pytest

from text_align.data import DEFAULT_DOMAIN, DEFAULT_INTENT, clean_frame, effective_frame, frame_from_fields
from text_align.losses import VIEWS, combined_score, score_matrices, tree_views, view_scores

THIRD = 1 / 3


def test_ten_views_of_two_multi_domain_trees_by_hand():
    first = clean_frame({'Hotel': {'inform': {'area': 'North', 'price': ['cheap']}}, 'general': {'greet': {}}})
    second = clean_frame({'hotel': {'inform': {'area': ['north']}, 'book': {'day': [{'value': 'Monday'}]}}})
    assert tree_views(first)[VIEWS.index('DISV')] == {('hotel', 'inform', 'area', 'north'),
                                                      ('hotel', 'inform', 'price', 'cheap')}
    scores, counted = view_scores(first, second)
    # D {hotel, general} vs {hotel}: 1/2; every other view shares 1 of 3 distinct elements
    np.testing.assert_allclose(scores, [0.5] + [THIRD] * 9)
    assert counted.all()
    assert combined_score(first, second) == pytest.approx((0.5 + 9 * THIRD) / 10)  # 0.35


def test_placeholder_domain_and_views_empty_in_both_are_left_out_of_the_mean():
    with_slot = clean_frame({DEFAULT_DOMAIN: {'transfer': {'amount': ['5']}}})
    intent_only = clean_frame({DEFAULT_DOMAIN: {'transfer': {}}})
    scores, counted = view_scores(with_slot, intent_only)
    # D, DI, DIS, DISV hold only placeholder elements: empty in both -> 0 and not counted
    assert [VIEWS[i] for i in np.flatnonzero(~counted)] == ['D', 'DI', 'DIS', 'DISV']
    np.testing.assert_allclose(scores, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert combined_score(with_slot, intent_only) == pytest.approx(1 / 6)  # 1 over the 6 counted views
    # same intent-classification label: only the intent view counts; the per-view score of D is 0, combined 1
    scores, counted = view_scores(intent_only, intent_only)
    np.testing.assert_allclose(scores, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert counted.sum() == 1 and combined_score(intent_only, intent_only) == 1.0


def test_placeholder_intent_drops_every_element_that_involves_it():
    slot_only = frame_from_fields('hotel', None, {'area': 'north'})
    assert slot_only == {'hotel': {DEFAULT_INTENT.lower(): {'area': ['north']}}}
    informed = frame_from_fields('hotel', 'inform', {'area': 'north'})
    scores, counted = view_scores(slot_only, informed)
    # D, S, V, SV match; I, DI, IS, DIS, ISV, DISV are empty on the placeholder side only -> 0 but counted
    np.testing.assert_allclose(scores, [1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
    assert counted.all() and combined_score(slot_only, informed) == pytest.approx(0.4)


def test_empty_trees_score_zero_but_the_matrix_diagonal_is_one():
    domain_only = clean_frame({'hotel': {DEFAULT_INTENT: {}}})  # released fix_label: no information -> unlabelled
    assert effective_frame(domain_only) == {}
    informed = frame_from_fields('hotel', 'inform', {'area': 'north'})
    assert combined_score(domain_only, domain_only) == 0.0
    matrices = score_matrices([domain_only, informed, informed, None])
    assert matrices.shape == (10, 4, 4) and matrices.dtype == np.float32
    np.testing.assert_array_equal(matrices[:, range(4), range(4)], 1.0)
    np.testing.assert_array_equal(matrices[:, 0, 1:], 0.0)
    np.testing.assert_array_equal(matrices[:, 1, 2], 1.0)  # identical informative trees: 1 in every view
    np.testing.assert_array_equal(matrices, matrices.transpose(0, 2, 1))
    assert score_matrices([informed, informed], views=[VIEWS.index('SV')]).shape == (1, 2, 2)


def test_bad_trees_name_where_and_what():
    with pytest.raises(ValueError, match=r'turn 3: slot entry 1 has a value but no slot name'):
        frame_from_fields('hotel', 'inform', [{'slot': 'area', 'value': 'north'}, {'value': 'cheap'}],
                          where='turn 3')
    with pytest.raises(ValueError, match=r"d.jsonl:2: intent 'inform' of domain 'hotel' must map slots"):
        clean_frame({'hotel': {'inform': ['area']}}, where='d.jsonl:2')
    with pytest.raises(ValueError, match='a slot value dict needs a "value" key'):
        clean_frame({'hotel': {'inform': {'area': [{'span': [0, 3]}]}}})
