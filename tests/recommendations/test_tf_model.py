# mypy: disable-error-code="import-untyped"
"""The main TensorFlow model on tiny synthetic data: it learns, is deterministic, and reports progress."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.ml.base import ModelError
from recommendations.ml.metrics import ranking_metrics
from recommendations.ml.progress import Progress
from recommendations.ml.splits import split_random_holdout
from recommendations.ml.tf_model import BLEND_GRID, HybridRecommender

TINY = {"dim": 16, "epochs": 3, "batch_size": 16, "item_item_l2": 5.0, "learning_rate": 0.01}


def test_training_reports_progress_every_epoch(clustered_matrix: sp.csr_matrix) -> None:
    reports: list[Progress] = []
    model = HybridRecommender(**TINY, blend="auto").fit(clustered_matrix, progress=reports.append)
    tower_reports = [r for r in reports if r.stage == "towers"]
    assert [r.done for r in tower_reports] == [1, 2, 3]
    assert all(r.total == 3 and "loss" in r.metrics for r in tower_reports)
    assert any(r.stage == "blend" for r in reports)
    assert min(abs(float(model.weights_["blend"]) - a) for a in BLEND_GRID) < 1e-6
    assert model.trained_on == "cpu"
    assert model.examples_per_second and model.examples_per_second > 0


def test_same_seed_gives_the_same_model(clustered_matrix: sp.csr_matrix) -> None:
    first = HybridRecommender(**TINY, blend=0.5, seed=7).fit(clustered_matrix)
    second = HybridRecommender(**TINY, blend=0.5, seed=7).fit(clustered_matrix)
    np.testing.assert_array_equal(first.score(clustered_matrix), second.score(clustered_matrix))


def test_side_features_are_folded_into_the_item_vectors(clustered_matrix: sp.csr_matrix) -> None:
    cluster_of_item = sp.csr_matrix(np.eye(3, dtype=np.float32)[np.arange(30) // 10])
    profile = sp.csr_matrix(np.eye(3, dtype=np.float32)[np.arange(60) % 3])
    model = HybridRecommender(**TINY, blend=1.0).fit(
        clustered_matrix, item_features=cluster_of_item, user_features=profile
    )
    assert model.weights_["item_vectors"].shape == (30, 16)
    assert "item_feature_projection" not in model.weights_
    with_profile = model.score(clustered_matrix[:3], user_features=profile[:3])
    without = model.score(clustered_matrix[:3])
    assert not np.allclose(with_profile, without)


def test_towers_alone_learn_the_taste_clusters(clustered_matrix: sp.csr_matrix) -> None:
    split = split_random_holdout(clustered_matrix, test_fraction=0.3, seed=1)
    model = HybridRecommender(item_item=False, dim=16, epochs=30, batch_size=16, learning_rate=0.02, dropout=0.2)
    model.fit(split.train)
    users = split.test_users
    learned = ranking_metrics(model.recommend(split.train[users], 5).items, split.test, users=users, k=5)
    rng = np.random.default_rng(0)
    random_lists = np.stack([rng.permutation(30)[:5] for _ in users])
    chance = ranking_metrics(random_lists, split.test, users=users, k=5)
    assert learned.recall > 2 * chance.recall


def test_asking_for_a_gpu_where_there_is_none_is_refused(clustered_matrix: sp.csr_matrix) -> None:
    with pytest.raises(ModelError, match="no GPU"):
        HybridRecommender(**TINY, device="gpu").fit(clustered_matrix)


def test_a_model_without_any_part_is_refused() -> None:
    with pytest.raises(ModelError, match="item–item layer"):
        HybridRecommender(item_item=False, dim=0)
