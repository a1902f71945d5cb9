"""Where each user's top-m list is kept: Redis in production, a database table on the embedded default.

Both stores have one interface (:class:`TopMStore`). A list is the products
best first, each with its score and the reason it was chosen, and the tag of
the model version that computed it, so serving and attribution always know
which model a list came from.

Redis layout: one hash per user, ``zq:recs:topm:<user id>``, with the fields
``v`` (model version tag), ``at`` (ISO time computed) and ``items`` (JSON list
of ``{"product", "score", "reason"}``), expiring after ``TOPM_TTL_DAYS``.
Reading a list is one ``HGETALL``. Any Redis failure is raised as
:class:`~recommendations.errors.TopMStoreUnavailable`, never as a server error.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from django.db import DatabaseError
from django.utils.dateparse import parse_datetime

from recommendations.conf import recsys_setting
from recommendations.errors import TopMStoreUnavailable
from recommendations.models import TopMEntry

logger = logging.getLogger("recommendations.store")

REDIS_KEY_PREFIX = "zq:recs:topm:"
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class StoredItem:
    product_id: int
    score: float
    reason: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"product": self.product_id, "score": round(float(self.score), 6), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredItem:
        return cls(
            product_id=int(data["product"]), score=float(data.get("score", 0.0)), reason=data.get("reason") or {}
        )


@dataclass(frozen=True)
class StoredList:
    user_id: int
    model_version: str
    items: list[StoredItem]
    computed_at: datetime


class TopMStore(ABC):
    name: str

    @abstractmethod
    def write_many(self, lists: Sequence[StoredList]) -> int:
        """Replace the lists of these users; returns how many were written."""

    @abstractmethod
    def read(self, user_id: int) -> StoredList | None:
        """The user's list, ``None`` if there is none; raises ``TopMStoreUnavailable``."""

    @abstractmethod
    def delete(self, user_ids: Sequence[int]) -> None:
        """Forget these users' lists (an erased account keeps nothing here)."""


class DatabaseTopMStore(TopMStore):
    name = "database"

    def write_many(self, lists: Sequence[StoredList]) -> int:
        rows = [
            TopMEntry(
                user_id=item.user_id,
                model_version=item.model_version,
                items=[i.as_dict() for i in item.items],
                computed_at=item.computed_at,
            )
            for item in lists
        ]
        if rows:
            TopMEntry.objects.bulk_create(
                rows,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["user"],
                update_fields=["model_version", "items", "computed_at"],
            )
        return len(rows)

    def read(self, user_id: int) -> StoredList | None:
        try:
            entry = TopMEntry.objects.filter(user_id=user_id).first()
        except DatabaseError as exc:
            raise TopMStoreUnavailable(str(exc)) from exc
        if entry is None:
            return None
        return StoredList(
            user_id=user_id,
            model_version=entry.model_version,
            items=[StoredItem.from_dict(i) for i in entry.items],
            computed_at=entry.computed_at,
        )

    def delete(self, user_ids: Sequence[int]) -> None:
        TopMEntry.objects.filter(user_id__in=list(user_ids)).delete()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisTopMStore(TopMStore):
    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )

    @staticmethod
    def key(user_id: int) -> str:
        return f"{REDIS_KEY_PREFIX}{int(user_id)}"

    def write_many(self, lists: Sequence[StoredList]) -> int:
        ttl = int(recsys_setting("TOPM_TTL_DAYS") * 86400)
        try:
            pipe = self.client.pipeline(transaction=False)
            for item in lists:
                key = self.key(item.user_id)
                pipe.delete(key)
                pipe.hset(
                    key,
                    mapping={
                        "v": item.model_version,
                        "at": item.computed_at.isoformat(),
                        "items": json.dumps([i.as_dict() for i in item.items], separators=(",", ":")),
                    },
                )
                if ttl > 0:
                    pipe.expire(key, ttl)
            pipe.execute()
        except redis.RedisError as exc:
            raise TopMStoreUnavailable(str(exc)) from exc
        return len(lists)

    def read(self, user_id: int) -> StoredList | None:
        try:
            raw = self.client.hgetall(self.key(user_id))
        except redis.RedisError as exc:
            raise TopMStoreUnavailable(str(exc)) from exc
        if not raw:
            return None
        try:
            data = {_text(k): _text(v) for k, v in raw.items()}
            items = [StoredItem.from_dict(i) for i in json.loads(data["items"])]
            computed_at = parse_datetime(data["at"])
            if computed_at is None:
                raise ValueError(data["at"])
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            logger.warning("unreadable top-m list for user %s ignored: %s", user_id, exc)
            return None
        return StoredList(user_id=user_id, model_version=data["v"], items=items, computed_at=computed_at)

    def delete(self, user_ids: Sequence[int]) -> None:
        if not user_ids:
            return
        try:
            self.client.delete(*[self.key(u) for u in user_ids])
        except redis.RedisError as exc:
            raise TopMStoreUnavailable(str(exc)) from exc


_STORES: dict[tuple[str, str], TopMStore] = {}


def topm_store_name() -> str:
    configured = recsys_setting("TOPM_STORE")
    if configured == "auto":
        return "redis" if recsys_setting("TOPM_REDIS_URL") else "database"
    if configured not in ("redis", "database"):
        raise ValueError(f"RECOMMENDER['TOPM_STORE'] must be auto, redis or database, not {configured!r}")
    return str(configured)


def topm_store() -> TopMStore:
    """The configured store (one client per process and URL)."""
    name = topm_store_name()
    url = str(recsys_setting("TOPM_REDIS_URL") or "") if name == "redis" else ""
    if name == "redis" and not url:
        raise ValueError("the Redis top-m store needs REDIS_URL or RECOMMENDER['TOPM_REDIS_URL']")
    key = (name, url)
    if key not in _STORES:
        _STORES[key] = RedisTopMStore(url) if name == "redis" else DatabaseTopMStore()
    return _STORES[key]


def _settings_changed(**kwargs: Any) -> None:
    # Tests switch REDIS_URL / RECOMMENDER; clients are rebuilt for the new values.
    if kwargs.get("setting") in {"REDIS_URL", "RECOMMENDER"}:
        _STORES.clear()


def connect_setting_changes() -> None:
    from django.test.signals import setting_changed

    setting_changed.connect(_settings_changed, dispatch_uid="recommendations.store.settings")
