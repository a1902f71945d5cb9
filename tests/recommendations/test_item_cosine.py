# mypy: disable-error-code="import-untyped"
"""The seed formula U = R·D, ranked by U normalised as cosine, on a matrix small enough to do by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.ml.item_cosine import ItemCosineRecommender, cosine_similarity_pruned

# Four users × four items (rows: users u0..u3, columns: items A, B, C, D).
R = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0],
            [1, 0, 1, 0],
            [0, 1, 1, 1],
            [1, 1, 1, 0],
        ],
        dtype=np.float32,
    )
)


def _hand_cosine() -> np.ndarray:
    # Column norms: A = √3, B = √3, C = √3, D = 1. Co-occurrences: AB = 2, AC = 2, BC = 2, BD = 1, CD = 1, AD = 0.
    s3 = np.sqrt(3.0)
    ab = ac = bc = 2 / (s3 * s3)  # 2/3
    bd = cd = 1 / s3
    return np.array(
        [
            [0, ab, ac, 0],
            [ab, 0, bc, bd],
            [ac, bc, 0, cd],
            [0, bd, cd, 0],
        ]
    )


def test_similarity_is_the_cosine_of_item_columns_with_a_zero_diagonal() -> None:
    similarity = cosine_similarity_pruned(R, neighbours=3).toarray()
    np.testing.assert_allclose(similarity, _hand_cosine(), rtol=1e-6)


def test_pruning_keeps_each_items_strongest_neighbours_per_column() -> None:
    similarity = cosine_similarity_pruned(R, neighbours=1).toarray()
    # Column D's best neighbour is B or C (both 1/√3 ≈ 0.577); column A's is B or C (2/3).
    assert (similarity > 0).sum(axis=0).tolist() == [1, 1, 1, 1]
    assert similarity[:, 0].max() == pytest.approx(2 / 3)
    assert similarity[:, 3].max() == pytest.approx(1 / np.sqrt(3.0))


def test_scores_are_user_row_times_d_normalised_as_cosine() -> None:
    model = ItemCosineRecommender(neighbours=3).fit(R)
    d = _hand_cosine()
    user = np.array([1.0, 0.0, 0.0, 0.0])  # u0 knows A only (a new user row, not one of R's)
    raw = user @ d  # [0, 2/3, 2/3, 0]
    expected = raw / (np.linalg.norm(user) * np.linalg.norm(d, axis=0))
    scores = model.score(sp.csr_matrix(user))
    np.testing.assert_allclose(scores[0], expected, rtol=1e-5)
    # By hand: ‖D[:,B]‖ = √(4/9 + 4/9 + 1/3) = √(11/9); ‖D[:,C]‖ the same, so B and C tie at (2/3)/√(11/9).
    assert abs(scores[0, 1] - (2 / 3) / np.sqrt(11 / 9)) < 1e-5


def test_recommended_ranking_matches_the_hand_computed_one() -> None:
    model = ItemCosineRecommender(neighbours=3).fit(R)
    # u1 has A and C. U = R·D: A → 0 + 2/3 = 2/3... computed column by column:
    #   B: D[A,B] + D[C,B] = 2/3 + 2/3 = 4/3, normalised by ‖D[:,B]‖ = √(11/9) → 1.2060
    #   D: D[A,D] + D[C,D] = 0 + 1/√3 = 0.5774, normalised by ‖D[:,D]‖ = √(2/3) → 0.7071
    # so u1's ranking of unseen items is B then D.
    top = model.recommend(R[[1]], 2)
    assert top.items.tolist() == [[1, 3]]
    np.testing.assert_allclose(top.scores[0] * np.sqrt(2), [(4 / 3) / np.sqrt(11 / 9), 1 / np.sqrt(2)], rtol=1e-5)


def test_without_normalisation_the_raw_product_ranks() -> None:
    model = ItemCosineRecommender(neighbours=3, normalize=False).fit(R)
    scores = model.score(R[[1]])
    np.testing.assert_allclose(scores[0], R[[1]].toarray()[0] @ _hand_cosine(), rtol=1e-6)
