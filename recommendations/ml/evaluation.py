"""Offline evaluation: fit each model on the training side, recommend top-K, score against the test side."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommendations.ml.base import ModelError, Recommender, model_class, model_names
from recommendations.ml.metrics import RankingMetrics, ranking_metrics
from recommendations.ml.progress import ProgressCallback
from recommendations.ml.splits import Split
from recommendations.ml.topk import TopK

#: The production model, whatever it is; ``main`` in model lists means this one.
MAIN_MODEL = "tf_hybrid"
MAIN_ALIAS = "main"


@dataclass
class ModelResult:
    label: str
    model: Recommender
    metrics: RankingMetrics
    fit_seconds: float
    recommend_seconds: float
    top: TopK
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.label,
            "class": self.model.name,
            "params": self.model.params(),
            "fit_seconds": round(self.fit_seconds, 3),
            "recommend_seconds": round(self.recommend_seconds, 3),
            **self.metrics.as_dict(),
            **self.extra,
        }


def model_build(label: str, overrides: Mapping[str, Any] | None = None) -> Recommender:
    """A fresh model for ``label`` (a registered name or ``main``) with hyper-parameter ``overrides``."""
    name = MAIN_MODEL if label == MAIN_ALIAS else label
    cls = model_class(name)
    try:
        return cls(**dict(overrides or {}))
    except TypeError as exc:
        raise ModelError(f"bad parameter for model {label!r}: {exc}") from None


def model_labels_parse(text: str) -> list[str]:
    """Split a comma-separated model list and check every name; raises :class:`ModelError`."""
    labels = [part.strip() for part in text.split(",") if part.strip()]
    if not labels:
        raise ModelError("no model named; choose from: " + ", ".join([MAIN_ALIAS, *model_names()]))
    for label in labels:
        if label != MAIN_ALIAS:
            model_class(label)
    if len(set(labels)) != len(labels):
        raise ModelError(f"a model is named twice in {text!r}")
    return labels


def model_evaluate(
    label: str,
    model: Recommender,
    split: Split,
    *,
    k: int,
    progress_for: Callable[[str], ProgressCallback | None] | None = None,
) -> ModelResult:
    """Fit ``model`` on ``split.train`` and measure its top-``k`` lists for the evaluated test users."""
    users = split.test_users
    started = time.perf_counter()
    model.fit(split.train, progress=progress_for(f"{label}: fit") if progress_for else None)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    top = model.recommend(split.train[users], k, progress=progress_for(f"{label}: recommend") if progress_for else None)
    recommend_seconds = time.perf_counter() - started
    metrics = ranking_metrics(top.items, split.test, users=users, k=k, n_items=split.train.shape[1])
    extra: dict[str, Any] = {}
    for attribute in ("trained_on", "examples_per_second"):
        value = getattr(model, attribute, None)
        if value is not None:
            extra[attribute] = value
    return ModelResult(label, model, metrics, fit_seconds, recommend_seconds, top, extra)


def recommendations_rows(result: ModelResult, users: np.ndarray, user_ids: np.ndarray, item_ids: np.ndarray):  # type: ignore[no-untyped-def]
    """Yield ``(user_id, item_id, rank)`` for every evaluated user, rank from 1, empty slots skipped."""
    for position, user in enumerate(users):
        for rank, item in enumerate(result.top.items[position], start=1):
            if item >= 0:
                yield user_ids[user], item_ids[item], rank
