# mypy: disable-error-code="import-untyped"
"""Most popular items, optionally first within the user's declared interests (the cold-start fallback)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommendations.ml.base import ModelError, Recommender, as_binary, register
from recommendations.ml.progress import ProgressCallback


@register
class PopularityRecommender(Recommender):
    """Items ranked by how many users interacted with them.

    With ``within_interests``, ``fit`` takes ``item_features`` as an
    items × interests matrix (e.g. topics) and ``score`` takes
    ``user_features`` as users × the same interests (declared interests):
    items matching any of a user's interests come first, each group by
    popularity. A user without declared interests gets plain popularity.
    """

    name = "popularity"

    def __init__(self, *, within_interests: bool = False) -> None:
        self.within_interests = within_interests
        self.popularity = np.zeros(0, dtype=np.float32)
        self.item_interests: sp.csr_matrix | None = None

    def params(self) -> dict[str, Any]:
        return {"within_interests": self.within_interests}

    def fit(
        self,
        matrix: sp.csr_matrix,
        *,
        user_features: sp.csr_matrix | None = None,
        item_features: sp.csr_matrix | None = None,
        progress: ProgressCallback | None = None,
    ) -> PopularityRecommender:
        started = time.perf_counter()
        counts = np.asarray(as_binary(matrix).sum(axis=0)).ravel()
        # Scaled into [0, 1) so that an interest match (+1) always outranks popularity alone.
        self.popularity = (counts / (counts.max(initial=0.0) + 1.0)).astype(np.float32)
        if self.within_interests:
            if item_features is None or item_features.shape[0] != matrix.shape[1]:
                raise ModelError("popularity within interests needs item_features with one row per item")
            self.item_interests = as_binary(item_features)
        self.n_items = matrix.shape[1]
        self.fit_seconds = time.perf_counter() - started
        return self

    def score(self, user_rows: sp.csr_matrix, *, user_features: sp.csr_matrix | None = None) -> np.ndarray:
        self._check_fitted()
        scores = np.tile(self.popularity, (user_rows.shape[0], 1))
        if self.within_interests and user_features is not None and self.item_interests is not None:
            if user_features.shape[1] != self.item_interests.shape[1]:
                raise ModelError(
                    f"user interests have {user_features.shape[1]} columns, items {self.item_interests.shape[1]}"
                )
            matches = (as_binary(user_features) @ self.item_interests.T).toarray() > 0
            scores += matches.astype(np.float32)
        return scores

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"popularity": self.popularity}
        if self.item_interests is not None:
            state["item_interests"] = self.item_interests
        return state

    def _restore(self, state: dict[str, Any]) -> None:
        self.popularity = state["popularity"]
        self.item_interests = state.get("item_interests")
