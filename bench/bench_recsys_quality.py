"""Recommender quality on goodbooks-10k (per-user 80/20, seed 42, K=10): every model's metrics and fit time.

Reference NDCG@10 on the same data and protocol, measured with well-known
libraries: popularity ≈ 0.111, item-kNN cosine ≈ 0.290, ALS ≈ 0.332, EASE ≈ 0.397.
Set ``RECSYS_BENCH_RATINGS`` to another ratings file to run the same protocol on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.common import Figure

ROOT = Path(__file__).resolve().parent.parent
RATINGS = Path(
    os.environ.get(
        "RECSYS_BENCH_RATINGS", ROOT.parent / "shared" / "datasets" / "goodbooks-10k" / "ratings_random_5pct_users.csv"
    )
)
MODELS = os.environ.get("RECSYS_BENCH_MODELS", "popularity,item_cosine,ease,main")
REFERENCE_NDCG = {"popularity": 0.111, "item_cosine": 0.290, "als": 0.332, "ease": 0.397}


def run() -> list[Figure]:
    from recommendations.ml.datasets import ratings_read
    from recommendations.ml.evaluation import model_build, model_evaluate, model_labels_parse
    from recommendations.ml.interactions import interactions_build
    from recommendations.ml.splits import split_random_holdout

    if not RATINGS.is_file():
        print(f"   skipped: {RATINGS} is not there")
        return []
    ratings = ratings_read(RATINGS)
    built = interactions_build(users=ratings.users, items=ratings.items)
    built.matrix.data[:] = 1.0
    split = split_random_holdout(built.matrix, test_fraction=0.2, seed=42)
    print(f"   {RATINGS.name}: {built.shape[0]} users × {built.shape[1]} items, {built.matrix.nnz} ratings")
    print(f"   {'model':<12} {'P@10':>7} {'R@10':>7} {'NDCG@10':>8} {'MAP@10':>7} {'HR@10':>7} {'cov':>6} {'fit s':>7}")
    figures = []
    for label in model_labels_parse(MODELS):
        result = model_evaluate(label, model_build(label), split, k=10)
        m = result.metrics
        print(
            f"   {label:<12} {m.precision:7.4f} {m.recall:7.4f} {m.ndcg:8.4f} {m.map:7.4f} {m.hit_rate:7.4f}"
            f" {m.coverage:6.3f} {result.fit_seconds:7.1f}"
            + (f"   (reference NDCG {REFERENCE_NDCG[label]:.3f})" if label in REFERENCE_NDCG else "")
        )
        figures.append(Figure(f"{label} fit", result.fit_seconds))
    print(f"   reference NDCG@10: {REFERENCE_NDCG}")
    return figures
