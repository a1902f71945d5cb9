# mypy: disable-error-code="import-untyped"
"""Building the interaction matrix: kind weights, time decay, caps, id maps; and the splits made from it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.ml.interactions import InteractionError, WeightScheme, interactions_build
from recommendations.ml.splits import SplitError, split_by_time, split_random_holdout

DAY = 86_400.0


def test_kind_weights_multiply_and_records_of_a_cell_add_up() -> None:
    built = interactions_build(
        users=["u1", "u1", "u1", "u2"],
        items=["book", "book", "course", "book"],
        kinds=["view", "purchase", "view", "view"],
        scheme=WeightScheme(kind_weights={"view": 0.5, "purchase": 4.0}),
    )
    assert built.users.ids.tolist() == ["u1", "u2"]
    assert built.items.ids.tolist() == ["book", "course"]
    np.testing.assert_allclose(built.matrix.toarray(), [[4.5, 0.5], [0.5, 0.0]])


def test_time_decay_halves_a_record_per_half_life() -> None:
    now = 100 * DAY
    built = interactions_build(
        users=[1, 1, 2],
        items=[10, 20, 10],
        timestamps=[now, now - 30 * DAY, now - 60 * DAY],
        scheme=WeightScheme(half_life_days=30, now=now),
    )
    np.testing.assert_allclose(built.matrix.toarray(), [[1.0, 0.5], [0.25, 0.0]], rtol=1e-6)


def test_cap_and_max_aggregation_keep_many_views_below_a_purchase() -> None:
    scheme = WeightScheme(kind_weights={"view": 1.0, "purchase": 5.0}, cap=3.0)
    built = interactions_build(
        users=[1] * 10 + [2], items=[7] * 10 + [7], kinds=["view"] * 10 + ["purchase"], scheme=scheme
    )
    np.testing.assert_allclose(built.matrix.toarray().ravel(), [3.0, 3.0])
    maxed = interactions_build(users=[1, 1], items=[7, 7], weights=[0.2, 0.9], scheme=WeightScheme(aggregate="max"))
    assert maxed.matrix.toarray()[0, 0] == pytest.approx(0.9)


def test_first_seen_keeps_the_earliest_timestamp_of_each_cell() -> None:
    built = interactions_build(users=[1, 1, 1], items=[5, 5, 6], timestamps=[300.0, 100.0, 0.0])
    assert built.first_seen is not None
    np.testing.assert_array_equal(built.first_seen.toarray(), [[100.0, 0.0]])
    assert built.first_seen.nnz == 2  # epoch zero is a real timestamp, not an empty cell


def test_unknown_kind_without_a_default_weight_is_named() -> None:
    with pytest.raises(InteractionError, match="kind 'share' have no weight"):
        interactions_build(
            users=[1],
            items=[1],
            kinds=["share"],
            scheme=WeightScheme(kind_weights={"view": 1}, default_kind_weight=None),
        )


def test_negative_weight_and_decay_without_timestamps_are_refused() -> None:
    with pytest.raises(InteractionError, match="record 1 has weight -1"):
        interactions_build(users=[1, 2], items=[1, 1], weights=[1.0, -1.0])
    with pytest.raises(InteractionError, match="needs timestamps"):
        interactions_build(users=[1], items=[1], scheme=WeightScheme(half_life_days=7))


def test_fixed_id_maps_give_the_same_columns_and_refuse_strangers() -> None:
    first = interactions_build(users=[1, 2], items=["a", "b"])
    second = interactions_build(users=[2], items=["b"], user_ids=first.users, item_ids=first.items)
    assert second.matrix.shape == (2, 2)
    assert second.matrix.toarray().tolist() == [[0.0, 0.0], [0.0, 1.0]]
    with pytest.raises(InteractionError, match="item 'z' is not among"):
        interactions_build(users=[1], items=["z"], user_ids=first.users, item_ids=first.items)


def _user_matrix(n_users: int = 20, n_items: int = 15) -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    return sp.csr_matrix((rng.random((n_users, n_items)) < 0.5).astype(np.float32))


def test_random_holdout_is_seeded_disjoint_and_takes_a_fifth_of_each_user() -> None:
    matrix = _user_matrix()
    split = split_random_holdout(matrix, test_fraction=0.2, seed=5)
    again = split_random_holdout(matrix, test_fraction=0.2, seed=5)
    other = split_random_holdout(matrix, test_fraction=0.2, seed=6)
    assert (split.test != again.test).nnz == 0
    assert (split.test != other.test).nnz > 0
    assert split.train.multiply(split.test).nnz == 0
    assert ((split.train + split.test) != matrix).nnz == 0
    counts = np.diff(matrix.indptr)
    test_counts = np.diff(split.test.indptr)
    expected = [min(max(1, round(0.2 * n)), n - 1) if n > 1 else 0 for n in counts]
    assert test_counts.tolist() == expected


def test_time_split_per_user_holds_out_the_latest_items() -> None:
    built = interactions_build(
        users=[1, 1, 1, 1, 1, 2, 2], items=[1, 2, 3, 4, 5, 1, 2], timestamps=[5, 1, 4, 2, 3, 9, 8]
    )
    split = split_by_time(built.matrix, built.first_seen, test_fraction=0.4, per_user=True)
    assert sorted(split.test[0].indices.tolist()) == [0, 2]  # items 1 (t=5) and 3 (t=4)
    assert split.test[1].indices.tolist() == [0]  # item 1 at t=9


def test_global_time_split_puts_everything_after_the_cutoff_in_test() -> None:
    built = interactions_build(users=[1, 1, 2, 2, 3], items=[1, 2, 1, 3, 2], timestamps=[1, 2, 3, 4, 5])
    split = split_by_time(built.matrix, built.first_seen, test_fraction=0.4)
    assert split.test.nnz == 2
    assert split.test.toarray()[1, 2] == 1.0 and split.test.toarray()[2, 1] == 1.0


def test_time_split_without_timestamps_and_bad_fractions_are_refused() -> None:
    matrix = _user_matrix()
    with pytest.raises(SplitError, match="needs timestamps"):
        split_by_time(matrix, None)
    with pytest.raises(SplitError, match="between 0 and 1"):
        split_random_holdout(matrix, test_fraction=1.5)


def test_no_records_with_timestamps_give_an_empty_first_seen_matrix() -> None:
    from recommendations.ml.interactions import IdMap

    built = interactions_build(
        users=[], items=[], timestamps=[], user_ids=IdMap.from_ids(["u"]), item_ids=IdMap.from_ids(["a", "b"])
    )
    assert built.matrix.shape == (1, 2)
    assert built.first_seen is not None
    assert built.first_seen.nnz == 0
