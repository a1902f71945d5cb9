# mypy: disable-error-code="import-untyped"
"""Ranking metrics at K against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.ml.metrics import ranking_metrics


def _test_matrix(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    data = np.zeros((len(rows), n_items), dtype=np.float32)
    for user, items in enumerate(rows):
        data[user, items] = 1
    return sp.csr_matrix(data)


def test_single_user_metrics_equal_hand_computed_values() -> None:
    # K = 3, list [5, 1, 7], test items {1, 7, 9}: hits at ranks 2 and 3.
    test = _test_matrix([[1, 7, 9]], 10)
    m = ranking_metrics(np.array([[5, 1, 7]]), test, users=np.array([0]), k=3)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)  # min(K, |test|) = 3
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m.ndcg == pytest.approx(dcg / idcg)
    assert m.map == pytest.approx((1 / 2 + 2 / 3) / 3)
    assert m.hit_rate == 1.0
    assert m.coverage == pytest.approx(3 / 10)


def test_recall_divides_by_k_when_the_user_has_more_test_items_than_k() -> None:
    # K = 2, 5 test items, both slots hit: a perfect list has recall 1, not 2/5.
    test = _test_matrix([[0, 1, 2, 3, 4]], 6)
    m = ranking_metrics(np.array([[3, 0]]), test, users=np.array([0]), k=2)
    assert m.recall == 1.0
    assert m.ndcg == pytest.approx(1.0)
    assert m.map == pytest.approx(1.0)


def test_metrics_average_over_users_and_skip_users_without_test_items() -> None:
    # user 0: one test item at rank 1; user 1: one test item, not recommended; user 2: no test items.
    test = _test_matrix([[4], [2], []], 5)
    recs = np.array([[4, 0], [0, 1], [2, 3]])
    m = ranking_metrics(recs, test, users=np.array([0, 1, 2]), k=2)
    assert m.users == 2
    assert m.precision == pytest.approx((1 / 2 + 0) / 2)
    assert m.recall == pytest.approx((1 + 0) / 2)
    assert m.ndcg == pytest.approx((1 + 0) / 2)
    assert m.hit_rate == pytest.approx(1 / 2)
    # coverage counts the lists of evaluated users only: {4, 0, 1} of 5 items
    assert m.coverage == pytest.approx(3 / 5)


def test_a_hit_at_rank_two_of_one_test_item_is_discounted() -> None:
    test = _test_matrix([[3]], 5)
    m = ranking_metrics(np.array([[0, 3, 1]]), test, users=np.array([0]), k=3)
    assert m.ndcg == pytest.approx(1 / math.log2(3))
    assert m.map == pytest.approx(1 / 2)
    assert m.precision == pytest.approx(1 / 3)
    assert m.recall == 1.0


def test_empty_slots_never_count_as_hits() -> None:
    test = _test_matrix([[0]], 3)
    m = ranking_metrics(np.array([[-1, -1]]), test, users=np.array([0]), k=2)
    assert m.precision == 0.0
    assert m.coverage == 0.0
