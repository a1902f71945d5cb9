# mypy: disable-error-code="import-untyped"
"""Ranking metrics at K over recommendation lists and held-out test items.

Definitions (per user with at least one test item, then averaged):

- Precision@K = hits / K
- Recall@K = hits / min(K, |test|), so a perfect list scores 1 even when the
  user has more than K test items
- NDCG@K = DCG / IDCG with DCG = Σ 1/log2(rank + 1) over hits (rank from 1)
  and IDCG the DCG of min(K, |test|) hits at the top
- MAP@K: mean of AP@K = Σ over hits of Precision@rank, divided by min(K, |test|)
- hit rate@K: share of users with at least one hit
- catalogue coverage: distinct items recommended to the evaluated users /
  number of items

Training items must already be excluded from the lists (the models do it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class RankingMetrics:
    k: int
    users: int
    precision: float
    recall: float
    ndcg: float
    map: float
    hit_rate: float
    coverage: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ranking_metrics(
    recommendations: np.ndarray, test: sp.csr_matrix, *, users: np.ndarray, k: int, n_items: int | None = None
) -> RankingMetrics:
    """Metrics of ``recommendations`` (one row per entry of ``users``, item indices, ``-1`` for an empty slot).

    ``test`` is the full users × items test matrix; only rows ``users`` are read.
    Users without test items are skipped.
    """
    if k < 1:
        raise ValueError(f"K must be at least 1, not {k}")
    recs = np.asarray(recommendations)[:, :k]
    users = np.asarray(users, dtype=np.int64)
    if recs.shape[0] != len(users):
        raise ValueError(f"{recs.shape[0]} recommendation lists for {len(users)} users")
    n_items = test.shape[1] if n_items is None else n_items
    test = sp.csr_matrix(test)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)

    hits_matrix = np.zeros(recs.shape, dtype=bool)
    n_test = np.diff(test.indptr)[users]
    for i, user in enumerate(users):
        relevant = test.indices[test.indptr[user] : test.indptr[user + 1]]
        if relevant.size:
            hits_matrix[i] = np.isin(recs[i], relevant) & (recs[i] >= 0)
    evaluated = n_test > 0
    hits_matrix = hits_matrix[evaluated]
    n_test = n_test[evaluated]
    width = recs.shape[1]
    if hits_matrix.shape[0] == 0:
        return RankingMetrics(k, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    hits = hits_matrix.sum(axis=1)
    denominator = np.minimum(k, n_test)
    dcg = (hits_matrix * discounts[:width]).sum(axis=1)
    idcg = ideal[denominator - 1]
    precision_at_rank = np.cumsum(hits_matrix, axis=1) / np.arange(1, width + 1)
    average_precision = (precision_at_rank * hits_matrix).sum(axis=1) / denominator
    shown = recs[evaluated]
    distinct = np.unique(shown[shown >= 0])
    return RankingMetrics(
        k=k,
        users=int(hits_matrix.shape[0]),
        precision=float(np.mean(hits / k)),
        recall=float(np.mean(hits / denominator)),
        ndcg=float(np.mean(dcg / idcg)),
        map=float(np.mean(average_precision)),
        hit_rate=float(np.mean(hits > 0)),
        coverage=float(len(distinct) / n_items) if n_items else 0.0,
    )
