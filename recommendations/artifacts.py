"""A model version on disk: everything top-m scoring and serving need, in one versioned directory.

``<ARTIFACT_ROOT>/<tag>/`` holds

- ``model/``: the ranking model (``recommendations.ml`` format: ``model.json`` + ``arrays.npz``);
- ``popularity/``: popularity within declared interests, for users without history;
- ``serving.npz``: the product ids of the model's columns, and each product's
  nearest neighbours (item–item cosine, pruned) for "because you bought X",
  similar items and companions;
- ``serving.json``: the feature vocabularies the model was fitted with.

The directory is written under a temporary name and renamed into place, so a
reader never sees half of it.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommendations.conf import recsys_setting
from recommendations.ml.base import Recommender
from recommendations.ml.interactions import IdMap
from recommendations.ml.popularity import PopularityRecommender

SERVING_ARRAYS = "serving.npz"
SERVING_META = "serving.json"
ARTIFACT_FORMAT = 1


@dataclass
class ServingModel:
    tag: str
    model: Recommender
    popularity: PopularityRecommender
    items: IdMap
    neighbours: sp.csr_matrix
    item_vocabulary: dict[str, int]
    user_vocabulary: dict[str, int]
    topic_vocabulary: dict[str, int]
    newest: float

    @property
    def topic_slugs(self) -> list[str]:
        return sorted(self.topic_vocabulary, key=self.topic_vocabulary.__getitem__)


def artifact_dir(tag: str) -> Path:
    return Path(recsys_setting("ARTIFACT_ROOT")) / tag


def _csr_arrays(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    return {
        f"{prefix}_data": csr.data,
        f"{prefix}_indices": csr.indices,
        f"{prefix}_indptr": csr.indptr,
        f"{prefix}_shape": np.asarray(csr.shape, dtype=np.int64),
    }


def _csr_from(arrays: Any, prefix: str) -> sp.csr_matrix:
    shape = tuple(int(v) for v in arrays[f"{prefix}_shape"])
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape
    )


def artifact_save(serving: ServingModel, *, directory: Path | None = None) -> Path:
    """Write ``serving`` to its versioned directory (replacing an unfinished earlier attempt)."""
    target = directory or artifact_dir(serving.tag)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    serving.model.save(staging / "model")
    serving.popularity.save(staging / "popularity")
    arrays = {"items": np.asarray(serving.items.ids, dtype=np.int64), **_csr_arrays("neighbours", serving.neighbours)}
    np.savez(staging / SERVING_ARRAYS, **arrays)  # type: ignore[arg-type]
    meta = {
        "format": ARTIFACT_FORMAT,
        "tag": serving.tag,
        "item_vocabulary": serving.item_vocabulary,
        "user_vocabulary": serving.user_vocabulary,
        "topic_vocabulary": serving.topic_vocabulary,
        "newest": serving.newest,
    }
    (staging / SERVING_META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def artifact_delete(path: str | Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _read_meta(directory: Path) -> dict[str, Any]:
    return json.loads((directory / SERVING_META).read_text(encoding="utf-8"))


def _load(directory: Path) -> ServingModel:
    meta = _read_meta(directory)
    model = Recommender.load(directory / "model")
    popularity = Recommender.load(directory / "popularity")
    assert isinstance(popularity, PopularityRecommender)
    with np.load(directory / SERVING_ARRAYS, allow_pickle=False) as arrays:
        items = IdMap(np.asarray(arrays["items"], dtype=np.int64))
        neighbours = _csr_from(arrays, "neighbours")
    return ServingModel(
        tag=meta["tag"],
        model=model,
        popularity=popularity,
        items=items,
        neighbours=neighbours,
        item_vocabulary=meta["item_vocabulary"],
        user_vocabulary=meta["user_vocabulary"],
        topic_vocabulary=meta["topic_vocabulary"],
        newest=float(meta["newest"]),
    )


@dataclass
class ItemNeighbours:
    """Only the light part of an artifact (what the web processes need for similar items)."""

    tag: str
    items: IdMap
    neighbours: sp.csr_matrix


def _load_neighbours(directory: Path) -> ItemNeighbours:
    meta = _read_meta(directory)
    with np.load(directory / SERVING_ARRAYS, allow_pickle=False) as arrays:
        return ItemNeighbours(
            tag=meta["tag"],
            items=IdMap(np.asarray(arrays["items"], dtype=np.int64)),
            neighbours=_csr_from(arrays, "neighbours"),
        )


_LOCK = threading.Lock()
_SERVING_CACHE: dict[str, ServingModel] = {}
_NEIGHBOUR_CACHE: dict[str, ItemNeighbours] = {}
CACHE_SIZE = 2


def _cached(cache: dict[str, Any], path: str, loader: Any) -> Any:
    with _LOCK:
        if path in cache:
            return cache[path]
    value = loader(Path(path))
    with _LOCK:
        while len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[path] = value
    return value


def serving_model_load(path: str | Path) -> ServingModel:
    """The full model of an artifact directory, cached per process (the last two used)."""
    return _cached(_SERVING_CACHE, str(path), _load)


def item_neighbours_load(path: str | Path) -> ItemNeighbours:
    return _cached(_NEIGHBOUR_CACHE, str(path), _load_neighbours)


def artifact_caches_clear() -> None:
    with _LOCK:
        _SERVING_CACHE.clear()
        _NEIGHBOUR_CACHE.clear()
