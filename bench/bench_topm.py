# mypy: disable-error-code="import-untyped"
"""Top-m (m=10) for every user: users/second and the ratio to the bare matrix multiply of the same matrices.

Two cases: every goodbooks-10k user scored by EASE (item–item, 9,990 × 9,990)
and a generated 100,000 users × 50,000 items factor model at d=64. The
reference is the bare ``users @ itemsᵀ`` over the same chunks, measured in
the same run, so the ratio is the cost of exclusion and top-k selection.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from bench.common import Figure

ROOT = Path(__file__).resolve().parent.parent
GOODBOOKS = ROOT.parent / "shared" / "datasets" / "goodbooks-10k" / "ratings_random_5pct_users.csv"
N_USERS = int(os.environ.get("RECSYS_TOPM_USERS", 100_000))
N_ITEMS = int(os.environ.get("RECSYS_TOPM_ITEMS", 50_000))
DIM = 64
M = 10
CHUNK = 1024


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _report(name: str, users: int, total: float, bare: float) -> Figure:
    print(
        f"   {name}: {users / total:,.0f} users/s; total {total:.2f} s, "
        f"bare multiply {bare:.2f} s, ratio {total / bare:.2f}×"
    )
    return Figure(name, total, reference_s=bare, unit_count=users)


def run() -> list[Figure]:
    from recommendations.ml.datasets import ratings_read
    from recommendations.ml.ease import EaseRecommender
    from recommendations.ml.interactions import interactions_build
    from recommendations.ml.topk import top_k_factors

    figures = []
    workers = os.cpu_count() or 1
    if GOODBOOKS.is_file():
        ratings = ratings_read(GOODBOOKS)
        built = interactions_build(users=ratings.users, items=ratings.items)
        x = built.matrix
        x.data[:] = 1.0
        model = EaseRecommender(l2=100.0).fit(x)
        rows = np.arange(x.shape[0])

        def bare_ease() -> None:
            for start in range(0, len(rows), CHUNK):
                x[start : start + CHUNK] @ model.weights

        bare = _timed(bare_ease)
        total = _timed(lambda: model.recommend(x, M, chunk_size=CHUNK))
        figures.append(
            _report(f"goodbooks EASE top-{M}, {x.shape[0]} users × {x.shape[1]} items", x.shape[0], total, bare)
        )

    rng = np.random.default_rng(0)
    users = rng.standard_normal((N_USERS, DIM), dtype=np.float32)
    items = rng.standard_normal((N_ITEMS, DIM), dtype=np.float32)
    # Every user owns 20 random items, excluded from their list.
    owned_items = rng.integers(0, N_ITEMS, size=N_USERS * 20)
    owned = sp.csr_matrix(
        (np.ones(len(owned_items), dtype=np.float32), owned_items, np.arange(0, N_USERS * 20 + 1, 20)),
        shape=(N_USERS, N_ITEMS),
    )
    items_t = np.ascontiguousarray(items.T)

    def bare_factors() -> None:
        for start in range(0, N_USERS, CHUNK):
            users[start : start + CHUNK] @ items_t

    bare = _timed(bare_factors)
    one = _timed(lambda: top_k_factors(users, items, M, exclude=owned, chunk_size=CHUNK))
    figures.append(_report(f"factors d={DIM} top-{M}, {N_USERS} × {N_ITEMS}, 1 thread", N_USERS, one, bare))
    if workers > 1:
        many = _timed(lambda: top_k_factors(users, items, M, exclude=owned, chunk_size=CHUNK, workers=workers))
        figures.append(
            _report(f"factors d={DIM} top-{M}, {N_USERS} × {N_ITEMS}, {workers} threads", N_USERS, many, bare)
        )
    return figures
