# mypy: disable-error-code="import-untyped"
"""Train/test splits of an interaction matrix for offline evaluation.

Both splits move whole cells (a user–item pair), so an item is never in a
user's training and test data at once, and both keep the matrix shape so
that rows and columns mean the same thing on each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


class SplitError(ValueError):
    """The split cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Split:
    train: sp.csr_matrix
    test: sp.csr_matrix

    @property
    def test_users(self) -> np.ndarray:
        """Rows with at least one test item and one training item: the users evaluated."""
        has_test = np.diff(self.test.indptr) > 0
        has_train = np.diff(self.train.indptr) > 0
        return np.flatnonzero(has_test & has_train)


def split_random_holdout(
    matrix: sp.csr_matrix, *, test_fraction: float = 0.2, seed: int = 42, min_train: int = 1
) -> Split:
    """Hold out ``round(test_fraction × n)`` of each user's n items at random (seeded).

    A user keeps at least ``min_train`` items for training; a user with too
    few items to give one to the test side stays wholly in training. The
    same matrix, fraction and seed always give the same split.
    """
    if not 0.0 < test_fraction < 1.0:
        raise SplitError(f"test_fraction must be between 0 and 1 (exclusive), not {test_fraction}")
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    rng = np.random.default_rng(seed)
    counts = np.diff(matrix.indptr)
    is_test = np.zeros(matrix.nnz, dtype=bool)
    for row in np.flatnonzero(counts > min_train):
        n = int(counts[row])
        n_test = min(max(1, round(test_fraction * n)), n - min_train)
        start = int(matrix.indptr[row])
        chosen = rng.choice(n, size=n_test, replace=False)
        is_test[start + chosen] = True
    return _split_by_mask(matrix, is_test)


def split_by_time(
    matrix: sp.csr_matrix,
    first_seen: sp.csr_matrix | None,
    *,
    test_fraction: float = 0.2,
    per_user: bool = False,
) -> Split:
    """Put the most recent interactions in the test side.

    Globally (``per_user=False``): every cell first seen after the
    ``1 - test_fraction`` quantile of all timestamps is a test cell, as when a
    model trained up to a date is judged on what came after. Per user: the
    latest ``round(test_fraction × n)`` of each user's items (at least one
    kept for training). ``first_seen`` must have ``matrix``'s sparsity, as
    :func:`~recommendations.ml.interactions.interactions_build` makes it.
    """
    if first_seen is None:
        raise SplitError("a time-based split needs timestamps, and these interactions have none")
    if not 0.0 < test_fraction < 1.0:
        raise SplitError(f"test_fraction must be between 0 and 1 (exclusive), not {test_fraction}")
    matrix = sp.csr_matrix(matrix)
    if matrix.nnz != first_seen.nnz or not np.array_equal(matrix.indptr, first_seen.indptr):
        raise SplitError("first_seen must have the same cells as the interaction matrix")
    stamps = np.asarray(first_seen.data, dtype=np.float64)
    if not per_user:
        cutoff = np.quantile(stamps, 1.0 - test_fraction) if stamps.size else 0.0
        return _split_by_mask(matrix, stamps > cutoff)
    is_test = np.zeros(matrix.nnz, dtype=bool)
    counts = np.diff(matrix.indptr)
    for row in np.flatnonzero(counts > 1):
        start, end = int(matrix.indptr[row]), int(matrix.indptr[row + 1])
        n = end - start
        n_test = min(max(1, round(test_fraction * n)), n - 1)
        # Ties broken by column so the split does not depend on storage order.
        order = np.lexsort((matrix.indices[start:end], stamps[start:end]))
        is_test[start + order[n - n_test :]] = True
    return _split_by_mask(matrix, is_test)


def _split_by_mask(matrix: sp.csr_matrix, is_test: np.ndarray) -> Split:
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))

    def part(mask: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(
            (matrix.data[mask], (rows[mask], matrix.indices[mask])), shape=matrix.shape, dtype=matrix.dtype
        )

    return Split(train=part(~is_test), test=part(is_test))
