# mypy: disable-error-code="import-untyped"
"""Top-k selection over score matrices, users in chunks so memory stays bounded.

Scores are computed one chunk of users at a time (``chunk × n_items``
floats), excluded cells are set to −∞, and ``argpartition`` picks the k best
before only those k are sorted. A slot that only an excluded item could fill
gets item ``-1`` and score −∞.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommendations.ml.progress import Progress, ProgressCallback


@dataclass(frozen=True)
class TopK:
    """``items[i]`` are the k best item indices for the i-th user asked for, best first; ``scores`` theirs."""

    items: np.ndarray
    scores: np.ndarray


def top_k_dense(scores: np.ndarray, k: int) -> TopK:
    """The k highest entries of every row of ``scores`` (modified: nothing; −∞ marks excluded cells)."""
    n_rows, n_cols = scores.shape
    k_eff = min(k, n_cols)
    if k_eff <= 0:
        return TopK(np.full((n_rows, k), -1, dtype=np.int64), np.full((n_rows, k), -np.inf, dtype=np.float32))
    if k_eff < n_cols:
        part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    part_scores = np.take_along_axis(scores, part, axis=1)
    # Stable order: higher score first, then lower item index, so equal scores rank the same everywhere.
    order = np.lexsort((part, -part_scores), axis=1)
    items = np.take_along_axis(part, order, axis=1).astype(np.int64)
    top_scores = np.take_along_axis(part_scores, order, axis=1).astype(np.float32)
    items[~np.isfinite(top_scores) & (top_scores < 0)] = -1
    if k_eff < k:
        items = np.pad(items, ((0, 0), (0, k - k_eff)), constant_values=-1)
        top_scores = np.pad(top_scores, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return TopK(items, top_scores)


def mask_cells(scores: np.ndarray, exclude_rows: sp.csr_matrix) -> None:
    """Set ``scores[i, j] = -inf`` for every stored cell (i, j) of ``exclude_rows`` (same row count)."""
    exclude_rows = sp.csr_matrix(exclude_rows)
    if exclude_rows.nnz:
        row_of = np.repeat(np.arange(exclude_rows.shape[0]), np.diff(exclude_rows.indptr))
        scores[row_of, exclude_rows.indices] = -np.inf


def top_k_batched(
    score_rows: Callable[[np.ndarray], np.ndarray],
    rows: np.ndarray,
    k: int,
    *,
    exclude: sp.csr_matrix | None = None,
    exclude_items: np.ndarray | None = None,
    chunk_size: int = 2048,
    workers: int = 1,
    progress: ProgressCallback | None = None,
) -> TopK:
    """Top-k for every entry of ``rows``.

    ``score_rows(chunk)`` returns the ``len(chunk) × n_items`` scores of the
    rows in ``chunk`` (positions into ``rows``' own numbering, i.e. the
    slice ``rows[a:b]``). ``exclude`` has one row per entry of ``rows``
    (items each user must not get: owned, already seen); ``exclude_items``
    is a boolean mask over items that nobody may get (not sellable).
    ``workers > 1`` scores chunks on threads (NumPy's matrix multiply and
    partition release the GIL).
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if exclude is not None and exclude.shape[0] != n:
        raise ValueError(f"exclude has {exclude.shape[0]} rows for {n} users")
    starts = list(range(0, n, max(1, chunk_size)))
    results: list[TopK | None] = [None] * len(starts)
    exclude_csr = None if exclude is None else sp.csr_matrix(exclude)

    def one(i: int) -> None:
        start = starts[i]
        stop = min(start + chunk_size, n)
        scores = np.asarray(score_rows(rows[start:stop]), dtype=np.float32)
        if exclude_items is not None:
            scores[:, exclude_items] = -np.inf
        if exclude_csr is not None:
            mask_cells(scores, exclude_csr[start:stop])
        results[i] = top_k_dense(scores, k)

    done = 0
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(one, range(len(starts))):
                done += 1
                if progress:
                    progress(Progress("top_k", done, len(starts)))
    else:
        for i in range(len(starts)):
            one(i)
            if progress:
                progress(Progress("top_k", i + 1, len(starts)))
    if not starts:
        return TopK(np.empty((0, k), dtype=np.int64), np.empty((0, k), dtype=np.float32))
    parts = [r for r in results if r is not None]
    return TopK(np.vstack([p.items for p in parts]), np.vstack([p.scores for p in parts]))


def top_k_factors(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    k: int,
    *,
    exclude: sp.csr_matrix | None = None,
    exclude_items: np.ndarray | None = None,
    chunk_size: int = 2048,
    workers: int = 1,
) -> TopK:
    """Top-k of ``user_vectors @ item_vectors.T`` (a factor model's scores), chunked."""
    users = np.ascontiguousarray(user_vectors, dtype=np.float32)
    items_t = np.ascontiguousarray(np.asarray(item_vectors, dtype=np.float32).T)
    return top_k_batched(
        lambda chunk: users[chunk] @ items_t,
        np.arange(users.shape[0]),
        k,
        exclude=exclude,
        exclude_items=exclude_items,
        chunk_size=chunk_size,
        workers=workers,
    )
