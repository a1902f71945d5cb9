"""Reading ratings files (goodbooks-10k, MovieLens ``ratings.csv`` and ``u.data``) into parallel arrays."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COLUMN_ROLES = ("user", "item", "rating", "timestamp")
HEADER_GUESSES = {
    "user": ("user_id", "userId", "user", "uid"),
    "item": ("book_id", "item_id", "movieId", "item", "product_id", "iid"),
    "rating": ("rating", "score", "weight"),
    "timestamp": ("timestamp", "time", "ts", "created_at"),
}


class RatingsFileError(ValueError):
    """The file cannot be read as ratings; the message names the file, line and problem."""


@dataclass(frozen=True)
class Ratings:
    """Parallel arrays, one entry per kept line. ``users``/``items`` hold the ids as strings."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray | None
    timestamps: np.ndarray | None

    def __len__(self) -> int:
        return len(self.users)


def ratings_read(
    path: str | Path,
    *,
    sep: str = ",",
    header: bool = True,
    columns: Sequence[str] | None = None,
    user_col: str | None = None,
    item_col: str | None = None,
    rating_col: str | None = None,
    timestamp_col: str | None = None,
    min_rating: float | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Ratings:
    """Read a delimited ratings file.

    With ``header`` the columns are found by name: ``user_col`` etc., or the
    usual names (``user_id``/``userId``, ``book_id``/``movieId``/``item_id``,
    ``rating``, ``timestamp``). Without a header, ``columns`` names each
    position with a role (``user,item,rating,timestamp``; other names are
    ignored). Lines whose rating is below ``min_rating`` are dropped.
    ``on_bytes`` is called with the bytes read so far (for a progress bar).
    """
    path = Path(path)
    if not path.is_file():
        raise RatingsFileError(f"{path}: no such file")
    if not sep:
        raise RatingsFileError("the separator must not be empty")
    explicit = {"user": user_col, "item": item_col, "rating": rating_col, "timestamp": timestamp_col}
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    stamps: list[float] = []
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep) if len(sep) == 1 else _split_reader(handle, sep)
        if header:
            try:
                names = next(reader)
            except StopIteration:
                raise RatingsFileError(f"{path}: the file is empty") from None
            positions = _positions_from_header(path, [n.strip() for n in names], explicit)
        else:
            if not columns:
                raise RatingsFileError("a file without a header needs --columns, e.g. user,item,rating,timestamp")
            positions = {role: i for i, role in enumerate(columns) if role in COLUMN_ROLES}
            for role in ("user", "item"):
                if role not in positions:
                    raise RatingsFileError(f"--columns must name a {role!r} column, got {','.join(columns)}")
        need_rating = "rating" in positions
        need_stamp = "timestamp" in positions
        width = max(positions.values()) + 1
        if min_rating is not None and not need_rating:
            raise RatingsFileError(f"{path}: --min-rating needs a rating column, and none was found")
        offset = 0
        for line_number, row in enumerate(reader, start=2 if header else 1):
            if on_bytes is not None and line_number % 50_000 == 0:
                on_bytes(offset)  # approximate: characters, not bytes, of the lines read so far
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) < width:
                raise RatingsFileError(f"{path}, line {line_number}: expected at least {width} fields, got {len(row)}")
            rating = _number(path, line_number, row, positions, "rating") if need_rating else None
            if min_rating is not None and rating is not None and rating < min_rating:
                continue
            users.append(row[positions["user"]].strip())
            items.append(row[positions["item"]].strip())
            if rating is not None:
                ratings.append(rating)
            if need_stamp:
                stamps.append(_number(path, line_number, row, positions, "timestamp"))
            offset += sum(len(field) for field in row) + len(row)
    if on_bytes is not None:
        on_bytes(path.stat().st_size)
    return Ratings(
        users=np.asarray(users, dtype=str),
        items=np.asarray(items, dtype=str),
        ratings=np.asarray(ratings, dtype=np.float64) if need_rating else None,
        timestamps=np.asarray(stamps, dtype=np.float64) if need_stamp else None,
    )


def _split_reader(handle: object, sep: str):  # type: ignore[no-untyped-def]
    for line in handle:  # type: ignore[attr-defined]
        yield line.rstrip("\r\n").split(sep)


def _positions_from_header(path: Path, names: list[str], explicit: dict[str, str | None]) -> dict[str, int]:
    positions: dict[str, int] = {}
    lowered = {name.lower(): i for i, name in enumerate(names)}
    for role in COLUMN_ROLES:
        wanted = explicit[role]
        if wanted is not None:
            if wanted not in names:
                raise RatingsFileError(f"{path}: no column named {wanted!r} (columns: {', '.join(names)})")
            positions[role] = names.index(wanted)
            continue
        for guess in HEADER_GUESSES[role]:
            if guess.lower() in lowered:
                positions[role] = lowered[guess.lower()]
                break
    for role in ("user", "item"):
        if role not in positions:
            raise RatingsFileError(
                f"{path}: cannot tell which column holds the {role} (columns: {', '.join(names)}); "
                f"name it with --{role}-col"
            )
    return positions


def _number(path: Path, line_number: int, row: list[str], positions: dict[str, int], role: str) -> float:
    raw = row[positions[role]].strip()
    try:
        value = float(raw)
    except ValueError:
        raise RatingsFileError(f"{path}, line {line_number}: the {role} {raw!r} is not a number") from None
    if not np.isfinite(value):
        raise RatingsFileError(f"{path}, line {line_number}: the {role} {raw!r} is not a finite number")
    return value
