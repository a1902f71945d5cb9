# mypy: disable-error-code="import-untyped"
"""The interface every recommender implements, and saving/loading it.

A model is fitted on a users × items interaction matrix (optionally with
user and item feature matrices) and then scores *interaction rows*: a user is
represented by what they interacted with (plus their features), so a user
unseen at training time, or one with new activity, is scored without
refitting. ``recommend`` adds top-k selection with exclusions.

A saved model is a directory holding ``model.json`` (name, format version,
hyper-parameters, shapes) and ``arrays.npz`` (its learned state); loading
needs nothing but NumPy/SciPy, and TensorFlow only for models that train
with it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import scipy.sparse as sp

from recommendations.ml.progress import ProgressCallback
from recommendations.ml.topk import TopK, top_k_batched

FORMAT_VERSION = 1
MODEL_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"

_REGISTRY: dict[str, type[Recommender]] = {}

R = TypeVar("R", bound="Recommender")


class ModelError(ValueError):
    """A model was used wrongly (not fitted, wrong shapes) or a saved model cannot be read."""


def register(cls: type[R]) -> type[R]:
    """Class decorator: make ``cls`` loadable and constructible by its ``name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ModelError(f"two models are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def model_class(name: str) -> type[Recommender]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(model_names())}") from None


class Recommender(ABC):
    """Fit on interactions, score users' interaction rows, recommend top-k, save and load."""

    name: ClassVar[str]
    n_items: int = 0
    fit_seconds: float | None = None

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Hyper-parameters, JSON-serialisable; ``type(self)(**params())`` is an unfitted twin."""

    @abstractmethod
    def fit(
        self: R,
        matrix: sp.csr_matrix,
        *,
        user_features: sp.csr_matrix | None = None,
        item_features: sp.csr_matrix | None = None,
        progress: ProgressCallback | None = None,
    ) -> R:
        """Learn from ``matrix`` (users × items, weights ≥ 0); feature matrices are row-aligned with it."""

    @abstractmethod
    def score(self, user_rows: sp.csr_matrix, *, user_features: sp.csr_matrix | None = None) -> np.ndarray:
        """Scores (``len(user_rows) × n_items``, float32; higher is better) of each row's user for every item."""

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """The learned arrays to save."""

    @abstractmethod
    def _restore(self, state: dict[str, np.ndarray]) -> None:
        """Take back the arrays that :meth:`_state` gave."""

    def recommend(
        self,
        user_rows: sp.csr_matrix,
        k: int,
        *,
        exclude: sp.csr_matrix | None = None,
        exclude_items: np.ndarray | None = None,
        exclude_seen: bool = True,
        user_features: sp.csr_matrix | None = None,
        chunk_size: int = 1024,
        progress: ProgressCallback | None = None,
    ) -> TopK:
        """Top-k items for each row of ``user_rows``, best first.

        Items in the row itself are excluded unless ``exclude_seen`` is false;
        ``exclude`` (one row per user) adds per-user exclusions such as owned
        products, ``exclude_items`` (boolean per item) global ones such as
        products without rights. Users are scored ``chunk_size`` at a time.
        """
        self._check_fitted()
        user_rows = sp.csr_matrix(user_rows)
        self._check_rows(user_rows, user_features)
        blocked = exclude
        if exclude_seen:
            blocked = user_rows if blocked is None else (sp.csr_matrix(blocked) + user_rows)
        if exclude_items is not None and len(exclude_items) != self.n_items:
            raise ModelError(f"exclude_items has {len(exclude_items)} entries for {self.n_items} items")

        def score_chunk(chunk: np.ndarray) -> np.ndarray:
            features = None if user_features is None else user_features[chunk]
            return self.score(user_rows[chunk], user_features=features)

        return top_k_batched(
            score_chunk,
            np.arange(user_rows.shape[0]),
            k,
            exclude=blocked,
            exclude_items=exclude_items,
            chunk_size=chunk_size,
            progress=progress,
        )

    def save(self, path: str | Path) -> Path:
        """Write the fitted model into directory ``path`` (created if needed); returns it."""
        self._check_fitted()
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "name": self.name,
            "format_version": FORMAT_VERSION,
            "params": self.params(),
            "n_items": self.n_items,
            "fit_seconds": self.fit_seconds,
        }
        arrays: dict[str, np.ndarray] = {}
        for key, value in self._state().items():
            if sp.issparse(value):
                csr = sp.csr_matrix(value)
                arrays[f"{key}__csr_data"] = csr.data
                arrays[f"{key}__csr_indices"] = csr.indices
                arrays[f"{key}__csr_indptr"] = csr.indptr
                arrays[f"{key}__csr_shape"] = np.asarray(csr.shape, dtype=np.int64)
            else:
                arrays[key] = np.asarray(value)
        np.savez(directory / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]
        (directory / MODEL_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model saved by :meth:`save`; ``Recommender.load`` picks the class named in the file."""
        directory = Path(path)
        try:
            meta = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{directory} holds no saved model ({MODEL_FILE} is missing)") from None
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"{directory}: saved model format {meta.get('format_version')} is not {FORMAT_VERSION}")
        target = model_class(meta["name"])
        if cls is not Recommender and not issubclass(target, cls):
            raise ModelError(f"{directory} holds a {meta['name']!r} model, not {cls.name!r}")
        model = target(**meta["params"])
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
            raw = {key: npz[key] for key in npz.files}
        state: dict[str, Any] = {}
        for key in list(raw):
            if key.endswith("__csr_data"):
                base = key.removesuffix("__csr_data")
                shape = tuple(int(v) for v in raw[f"{base}__csr_shape"])
                state[base] = sp.csr_matrix(
                    (raw[key], raw[f"{base}__csr_indices"], raw[f"{base}__csr_indptr"]), shape=shape
                )
            elif "__csr_" not in key:
                state[key] = raw[key]
        model.n_items = int(meta["n_items"])
        model.fit_seconds = meta.get("fit_seconds")
        model._restore(state)
        return model

    def _check_fitted(self) -> None:
        if not self.n_items:
            raise ModelError(f"the {self.name} model is not fitted yet")

    def _check_rows(self, user_rows: sp.csr_matrix, user_features: sp.csr_matrix | None) -> None:
        if user_rows.shape[1] != self.n_items:
            raise ModelError(f"user rows have {user_rows.shape[1]} item columns; the model knows {self.n_items} items")
        if user_features is not None and user_features.shape[0] != user_rows.shape[0]:
            raise ModelError(f"{user_features.shape[0]} user feature rows for {user_rows.shape[0]} users")


def as_binary(matrix: sp.csr_matrix, dtype: type = np.float32) -> sp.csr_matrix:
    """``matrix`` with every stored non-zero value set to 1."""
    out = sp.csr_matrix(matrix, dtype=dtype, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1
    return out
