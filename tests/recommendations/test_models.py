# mypy: disable-error-code="import-untyped"
"""Every model: exclusions are honoured, save/load keeps the scores, hand-checkable cases behave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.ml.base import ModelError, Recommender, model_class
from recommendations.ml.ease import EaseRecommender
from recommendations.ml.evaluation import MAIN_ALIAS, MAIN_MODEL, model_build
from recommendations.ml.popularity import PopularityRecommender

FAST_PARAMS = {
    "popularity": {},
    "item_cosine": {"neighbours": 5},
    "ease": {"l2": 10.0},
    "tf_hybrid": {"dim": 8, "epochs": 2, "batch_size": 16, "blend": 0.5, "item_item_l2": 10.0},
}


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_seen_and_excluded_items_are_never_recommended(name: str, clustered_matrix: sp.csr_matrix) -> None:
    model = model_class(name)(**FAST_PARAMS[name]).fit(clustered_matrix)
    owned = sp.csr_matrix(([1.0, 1.0], ([0, 1], [29, 0])), shape=(2, 30))  # user 0 owns 29, user 1 owns 0
    not_sellable = np.zeros(30, dtype=bool)
    not_sellable[[1, 2, 3]] = True
    rows = clustered_matrix[:2]
    top = model.recommend(rows, 20, exclude=owned, exclude_items=not_sellable)
    for position in range(2):
        recommended = set(top.items[position][top.items[position] >= 0].tolist())
        seen = set(rows[position].indices.tolist())
        assert not recommended & seen
        assert not recommended & {1, 2, 3}
    assert 29 not in top.items[0]
    assert 0 not in top.items[1]


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_save_and_load_give_the_same_scores(name: str, clustered_matrix: sp.csr_matrix, tmp_path: Path) -> None:
    model = model_class(name)(**FAST_PARAMS[name]).fit(clustered_matrix)
    model.save(tmp_path / name)
    loaded = Recommender.load(tmp_path / name)
    assert type(loaded) is type(model)
    assert loaded.params() == model.params()
    np.testing.assert_array_equal(loaded.score(clustered_matrix[:10]), model.score(clustered_matrix[:10]))


def test_loading_a_directory_without_a_model_says_so(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="holds no saved model"):
        Recommender.load(tmp_path)


def test_a_list_has_empty_slots_when_everything_else_is_excluded() -> None:
    matrix = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0]], dtype=np.float32))
    model = PopularityRecommender().fit(matrix)
    top = model.recommend(matrix[[0]], 3, exclude_items=np.array([False, False, True]))
    assert top.items.tolist() == [[1, -1, -1]]


def test_popularity_ranks_by_number_of_users() -> None:
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 1]], dtype=np.float32))
    model = PopularityRecommender().fit(matrix)
    top = model.recommend(sp.csr_matrix((1, 4), dtype=np.float32), 4)
    assert top.items.tolist() == [[1, 2, 0, 3]]  # counts 1, 3, 2, 1: ties by lower index


def test_popularity_within_interests_puts_matching_items_first() -> None:
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 1]], dtype=np.float32))
    topics = sp.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [0, 1]], dtype=np.float32))  # item 3 alone in topic 1
    model = PopularityRecommender(within_interests=True).fit(matrix, item_features=topics)
    nobody = sp.csr_matrix((2, 4), dtype=np.float32)
    interests = sp.csr_matrix(np.array([[0, 1], [0, 0]], dtype=np.float32))
    top = model.recommend(nobody, 2, user_features=interests)
    assert top.items[0].tolist() == [3, 1]  # the declared topic first, then the most popular
    assert top.items[1].tolist() == [1, 2]  # no declared interest: plain popularity


def test_ease_matches_its_closed_form_on_a_small_matrix() -> None:
    x = np.array([[1, 1, 0], [0, 1, 1], [1, 1, 1], [1, 0, 0]], dtype=np.float64)
    l2 = 2.0
    p = np.linalg.inv(x.T @ x + l2 * np.eye(3))
    expected = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    model = EaseRecommender(l2=l2).fit(sp.csr_matrix(x))
    np.testing.assert_allclose(model.weights, expected, rtol=1e-5)
    # The constraint holds: an item never explains itself.
    assert np.all(np.diag(model.weights) == 0)


def test_main_names_the_production_model() -> None:
    assert model_build(MAIN_ALIAS).name == MAIN_MODEL


def test_unknown_model_and_bad_parameter_are_reported() -> None:
    with pytest.raises(ModelError, match="unknown model 'als'"):
        model_build("als")
    with pytest.raises(ModelError, match="bad parameter for model 'ease'"):
        model_build("ease", {"lambda": 3})


def test_scoring_rows_with_the_wrong_item_count_is_refused(clustered_matrix: sp.csr_matrix) -> None:
    model = EaseRecommender(l2=10.0).fit(clustered_matrix)
    with pytest.raises(ModelError, match="30 items"):
        model.recommend(sp.csr_matrix((1, 29), dtype=np.float32), 5)
