# mypy: disable-error-code="import-untyped"
"""Turning (user, item, kind, weight, timestamp) records into a sparse user × item matrix.

The matrix is what every model is fitted on: one row per user, one column per
item, each cell the aggregated, time-decayed weight of everything the user did
with the item. Ids are kept in two :class:`IdMap` objects so that rows and
columns can be turned back into the application's user and product ids.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400.0


class InteractionError(ValueError):
    """The records cannot be turned into a matrix; the message says which record and why."""


@dataclass(frozen=True)
class IdMap:
    """A bijection between external ids (ints or strings) and dense row/column indices."""

    ids: np.ndarray
    _index: dict[Any, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {_plain(v): i for i, v in enumerate(self.ids.tolist())})
        if len(self._index) != len(self.ids):
            raise InteractionError("an id map must not hold the same id twice")

    @classmethod
    def from_ids(cls, ids: Iterable[Hashable]) -> IdMap:
        return cls(np.asarray(list(ids)))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, external_id: object) -> bool:
        return _plain(external_id) in self._index

    def index_of(self, external_id: Hashable) -> int:
        """Raises ``KeyError`` for an unknown id."""
        return self._index[_plain(external_id)]

    def indices(self, external_ids: Iterable[Hashable], *, missing: int | None = None) -> np.ndarray:
        """Indices of ``external_ids``; unknown ids raise ``KeyError`` unless ``missing`` gives their value."""
        if missing is None:
            return np.fromiter((self._index[_plain(v)] for v in external_ids), dtype=np.int64)
        return np.fromiter((self._index.get(_plain(v), missing) for v in external_ids), dtype=np.int64)

    def to_ids(self, indices: np.ndarray | Sequence[int]) -> np.ndarray:
        return self.ids[np.asarray(indices, dtype=np.int64)]


def _plain(value: object) -> object:
    # numpy scalars hash like their Python values, but strings from np.str_ and str must meet too.
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class WeightScheme:
    """How records become cell values.

    ``kind_weights`` multiplies each record's own weight by the weight of its
    kind (a purchase counts more than a view); a kind missing from the mapping
    is an error unless ``default_kind_weight`` is set. ``half_life_days``
    decays a record by half for every half-life between its timestamp and
    ``now`` (records from the future are not boosted). Records of one
    (user, item) cell are combined by ``aggregate`` and then capped at
    ``cap`` so that a hundred views cannot outweigh a purchase.
    """

    kind_weights: Mapping[str, float] = field(default_factory=dict)
    default_kind_weight: float | None = 1.0
    half_life_days: float | None = None
    now: float | None = None
    aggregate: Literal["sum", "max"] = "sum"
    cap: float | None = None
    min_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise InteractionError(f"half_life_days must be positive, not {self.half_life_days}")
        if self.cap is not None and self.cap <= 0:
            raise InteractionError(f"cap must be positive, not {self.cap}")
        for kind, weight in self.kind_weights.items():
            if not np.isfinite(weight) or weight < 0:
                raise InteractionError(f"the weight of kind {kind!r} must be a finite number ≥ 0, not {weight}")


@dataclass(frozen=True)
class InteractionMatrix:
    """Users × items weights (CSR, float32) with the id maps and each cell's first timestamp.

    ``first_seen`` has the same sparsity as ``matrix`` (seconds since the epoch,
    float64) when the records carried timestamps, else ``None``; time-based
    splits use it.
    """

    matrix: sp.csr_matrix
    users: IdMap
    items: IdMap
    first_seen: sp.csr_matrix | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.users), len(self.items))


def interactions_build(
    *,
    users: Sequence[Hashable] | np.ndarray,
    items: Sequence[Hashable] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    kinds: Sequence[str] | np.ndarray | None = None,
    timestamps: Sequence[float] | np.ndarray | None = None,
    scheme: WeightScheme | None = None,
    user_ids: IdMap | None = None,
    item_ids: IdMap | None = None,
) -> InteractionMatrix:
    """Aggregate records into an :class:`InteractionMatrix`.

    ``users``/``items`` are parallel sequences of external ids; ``weights``
    defaults to 1 per record, ``timestamps`` are seconds since the epoch.
    Passing ``user_ids``/``item_ids`` fixes the rows and columns (a record
    whose id is not in them is an error); otherwise they are the sorted
    distinct ids seen. Cells whose final weight is not above
    ``scheme.min_weight`` are dropped.
    """
    scheme = scheme or WeightScheme()
    user_arr = np.asarray(users)
    item_arr = np.asarray(items)
    n = len(user_arr)
    if len(item_arr) != n:
        raise InteractionError(f"{n} users but {len(item_arr)} items: the record columns must have the same length")
    values = np.ones(n, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(values) != n:
        raise InteractionError(f"{len(values)} weights for {n} records")
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise InteractionError(f"record {int(bad[0])} has weight {values[bad[0]]}; weights must be finite and ≥ 0")

    if kinds is not None:
        kind_arr = np.asarray(kinds)
        if len(kind_arr) != n:
            raise InteractionError(f"{len(kind_arr)} kinds for {n} records")
        values = values * _kind_multipliers(kind_arr, scheme)

    stamps: np.ndarray | None = None
    if timestamps is not None:
        stamps = np.asarray(timestamps, dtype=np.float64)
        if len(stamps) != n:
            raise InteractionError(f"{len(stamps)} timestamps for {n} records")
        if np.isnan(stamps).any():
            raise InteractionError(f"record {int(np.flatnonzero(np.isnan(stamps))[0])} has no timestamp")
        if scheme.half_life_days is not None:
            now = scheme.now if scheme.now is not None else float(stamps.max(initial=0.0))
            age_days = np.maximum(now - stamps, 0.0) / SECONDS_PER_DAY
            values = values * np.exp2(-age_days / scheme.half_life_days)
    elif scheme.half_life_days is not None:
        raise InteractionError("time decay needs timestamps: pass timestamps or set half_life_days=None")

    user_map = user_ids or IdMap(np.unique(user_arr))
    item_map = item_ids or IdMap(np.unique(item_arr))
    rows = _lookup(user_map, user_arr, "user")
    cols = _lookup(item_map, item_arr, "item")
    shape = (len(user_map), len(item_map))

    matrix = _aggregate(rows, cols, values, shape, scheme.aggregate)
    if scheme.cap is not None:
        np.minimum(matrix.data, scheme.cap, out=matrix.data)
    keep = matrix.data > scheme.min_weight
    if not keep.all():
        matrix = _filter(matrix, keep)
    matrix.sort_indices()
    first_seen = None if stamps is None else _earliest_per_cell(matrix, rows, cols, stamps)
    matrix.data = matrix.data.astype(np.float32)
    return InteractionMatrix(matrix=matrix, users=user_map, items=item_map, first_seen=first_seen)


def _kind_multipliers(kind_arr: np.ndarray, scheme: WeightScheme) -> np.ndarray:
    distinct, inverse = np.unique(kind_arr, return_inverse=True)
    table = np.empty(len(distinct), dtype=np.float64)
    for i, kind in enumerate(distinct.tolist()):
        if kind in scheme.kind_weights:
            table[i] = scheme.kind_weights[kind]
        elif scheme.default_kind_weight is not None:
            table[i] = scheme.default_kind_weight
        else:
            known = ", ".join(sorted(scheme.kind_weights)) or "none"
            raise InteractionError(f"records of kind {kind!r} have no weight (known kinds: {known})")
    return table[inverse.reshape(-1)]


def _lookup(id_map: IdMap, values: np.ndarray, what: str) -> np.ndarray:
    try:
        return id_map.indices(values.tolist())
    except KeyError as exc:
        raise InteractionError(f"{what} {exc.args[0]!r} is not among the fixed {what} ids") from None


def _aggregate(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int], how: str
) -> sp.csr_matrix:
    if how == "sum":
        matrix = sp.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float64)
        matrix.sum_duplicates()
        return matrix
    if how != "max":
        raise InteractionError(f"aggregate must be 'sum' or 'max', not {how!r}")
    # Sort by cell, then keep each cell's largest value.
    key = rows.astype(np.int64) * shape[1] + cols
    order = np.lexsort((-values, key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    chosen = order[first]
    return sp.csr_matrix((values[chosen], (rows[chosen], cols[chosen])), shape=shape, dtype=np.float64)


def _filter(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    coo = matrix.tocoo()
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)


def _earliest_per_cell(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, stamps: np.ndarray) -> sp.csr_matrix:
    """A matrix with exactly ``matrix``'s stored cells, each holding the earliest stamp of its records."""
    n_cols = matrix.shape[1]
    if len(stamps) == 0:
        return sp.csr_matrix(matrix.shape, dtype=np.float64)
    key = rows.astype(np.int64) * n_cols + cols
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    earliest = np.minimum.reduceat(stamps[order], starts)
    cell_keys = key_sorted[starts]
    matrix_rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    wanted = matrix_rows * n_cols + matrix.indices
    # Cells dropped by min_weight are absent from ``wanted``; every wanted cell has records.
    data = earliest[np.searchsorted(cell_keys, wanted)]
    return sp.csr_matrix((data, matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape)


def binarize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same sparsity with every stored value set to 1 (float32)."""
    out = matrix.copy().astype(np.float32)
    out.data[:] = 1.0
    return out
