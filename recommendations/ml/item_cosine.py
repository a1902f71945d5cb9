# mypy: disable-error-code="import-untyped"
"""The seed formula: U = R·D with D the item–item cosine similarity, ranked by U normalised as cosine.

R is the users × items matrix and D[i, j] = cos(R[:, i], R[:, j]) with a zero
diagonal, pruned to each item's ``neighbours`` most similar items (column j
of D keeps the ``neighbours`` largest entries). A user's interest in item j
is the cosine between their row R[u] and D[:, j]:

    U[u, j] = R[u] · D[:, j] / (‖R[u]‖ · ‖D[:, j]‖)

so an item is not favoured merely because it has many strong neighbours.
``normalize=False`` ranks by the raw product R·D instead.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommendations.ml.base import Recommender, register
from recommendations.ml.progress import Progress, ProgressCallback


def cosine_similarity_pruned(matrix: sp.csr_matrix, *, neighbours: int, block: int = 1024) -> sp.csr_matrix:
    """Items × items cosine similarity of ``matrix``'s columns, zero diagonal, top ``neighbours`` per column.

    Computed ``block`` columns at a time, so memory is ``n_items × block``
    floats rather than the full square.
    """
    x = sp.csc_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    x = sp.csr_matrix(x @ sp.diags(inverse.astype(np.float32)))
    xt = sp.csr_matrix(x.T)
    n_items = x.shape[1]
    keep = min(neighbours, max(n_items - 1, 0))
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    vals_out: list[np.ndarray] = []
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        sims = np.asarray((xt @ x[:, start:stop]).todense(), dtype=np.float32)  # n_items × b
        sims[np.arange(start, stop), np.arange(stop - start)] = 0.0
        if keep == 0:
            continue
        top = np.argpartition(-sims, keep - 1, axis=0)[:keep]  # keep < n_items always
        values = np.take_along_axis(sims, top, axis=0)
        nonzero = values > 0
        cols = np.broadcast_to(np.arange(start, stop), top.shape)
        rows_out.append(top[nonzero])
        cols_out.append(cols[nonzero])
        vals_out.append(values[nonzero])
    if not rows_out:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )


@register
class ItemCosineRecommender(Recommender):
    name = "item_cosine"

    def __init__(self, *, neighbours: int = 100, normalize: bool = True) -> None:
        self.neighbours = neighbours
        self.normalize = normalize
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)
        self.column_norms = np.zeros(0, dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours, "normalize": self.normalize}

    def fit(
        self,
        matrix: sp.csr_matrix,
        *,
        user_features: sp.csr_matrix | None = None,
        item_features: sp.csr_matrix | None = None,
        progress: ProgressCallback | None = None,
    ) -> ItemCosineRecommender:
        started = time.perf_counter()
        self.similarity = cosine_similarity_pruned(matrix, neighbours=self.neighbours)
        self.column_norms = np.sqrt(np.asarray(self.similarity.multiply(self.similarity).sum(axis=0)).ravel()).astype(
            np.float32
        )
        self.n_items = matrix.shape[1]
        self.fit_seconds = time.perf_counter() - started
        if progress:
            progress(Progress("fit", 1, 1))
        return self

    def score(self, user_rows: sp.csr_matrix, *, user_features: sp.csr_matrix | None = None) -> np.ndarray:
        self._check_fitted()
        rows = sp.csr_matrix(user_rows, dtype=np.float32)
        scores = np.asarray((rows @ self.similarity).todense(), dtype=np.float32)
        if self.normalize:
            row_norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel()).astype(np.float32)
            denominator = np.outer(row_norms, self.column_norms)
            np.divide(scores, denominator, out=scores, where=denominator > 0)
        return scores

    def _state(self) -> dict[str, Any]:
        return {"similarity": self.similarity, "column_norms": self.column_norms}

    def _restore(self, state: dict[str, Any]) -> None:
        self.similarity = sp.csr_matrix(state["similarity"])
        self.column_norms = state["column_norms"]
