"""Fixtures for the recommender's application tests (import them into a test module)."""

from __future__ import annotations

from typing import Any

import pytest

from recommendations.artifacts import artifact_caches_clear
from tests.factories.recommendations import RecsysWorld, recsys_world


@pytest.fixture
def recsys_settings(settings: Any, tmp_path: Any) -> dict[str, Any]:
    """A cheap model (EASE), the database store and artifacts in a temporary directory."""
    settings.RECOMMENDER = {
        "ARTIFACT_ROOT": str(tmp_path / "recsys"),
        "TOPM_STORE": "database",
        "MODEL": "ease",
        "MODEL_PARAMS": {"l2": 10.0},
        "PROMOTION_TOLERANCE": 0.0,
        "TOPM_SIZE": 20,
    }
    artifact_caches_clear()
    yield settings.RECOMMENDER
    artifact_caches_clear()


@pytest.fixture
def world(db: None) -> RecsysWorld:
    return recsys_world()
