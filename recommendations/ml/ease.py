# mypy: disable-error-code="import-untyped"
"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"), in closed form.

B = argmin ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0 has the solution
P = (XᵀX + λI)⁻¹, B = I − P · diagMat(1 ⊘ diag(P)), i.e. B[i, j] = −P[i, j] / P[j, j]
off the diagonal. Scores are X·B. ``dropout`` > 0 adds Steck's (2020)
emphasised-denoising term (EDLAE): the ridge on item i grows by
p/(1−p) · G[i, i], which regularises popular items more.

The model is dense in items (n_items² floats), meant for catalogues up to a
few tens of thousands of products.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from recommendations.ml.base import ModelError, Recommender, register
from recommendations.ml.progress import Progress, ProgressCallback

MAX_DENSE_ITEMS = 40_000


def ease_weights(gram: np.ndarray, *, l2: float, dropout: float = 0.0) -> np.ndarray:
    """Closed-form item–item weights from the Gram matrix XᵀX (float64, modified in place)."""
    if l2 < 0 or not 0.0 <= dropout < 1.0:
        raise ModelError(f"need l2 ≥ 0 and 0 ≤ dropout < 1, got l2={l2}, dropout={dropout}")
    diagonal = np.diag_indices_from(gram)
    gram[diagonal] += l2 + dropout / (1.0 - dropout) * gram[diagonal]
    precision = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
    weights = precision / (-np.diag(precision))
    weights[diagonal] = 0.0
    return weights


@register
class EaseRecommender(Recommender):
    name = "ease"

    def __init__(self, *, l2: float = 100.0, dropout: float = 0.0) -> None:
        self.l2 = l2
        self.dropout = dropout
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return {"l2": self.l2, "dropout": self.dropout}

    def fit(
        self,
        matrix: sp.csr_matrix,
        *,
        user_features: sp.csr_matrix | None = None,
        item_features: sp.csr_matrix | None = None,
        progress: ProgressCallback | None = None,
    ) -> EaseRecommender:
        started = time.perf_counter()
        n_items = matrix.shape[1]
        if n_items > MAX_DENSE_ITEMS:
            raise ModelError(f"EASE is dense in items; {n_items} items exceed the limit of {MAX_DENSE_ITEMS}")
        x = sp.csr_matrix(matrix, dtype=np.float64)
        gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
        if progress:
            progress(Progress("gram", 1, 2))
        self.weights = ease_weights(gram, l2=self.l2, dropout=self.dropout).astype(np.float32)
        self.n_items = n_items
        self.fit_seconds = time.perf_counter() - started
        if progress:
            progress(Progress("solve", 2, 2))
        return self

    def score(self, user_rows: sp.csr_matrix, *, user_features: sp.csr_matrix | None = None) -> np.ndarray:
        self._check_fitted()
        return np.asarray(sp.csr_matrix(user_rows, dtype=np.float32) @ self.weights, dtype=np.float32)

    def _state(self) -> dict[str, Any]:
        return {"weights": self.weights}

    def _restore(self, state: dict[str, Any]) -> None:
        self.weights = state["weights"]
