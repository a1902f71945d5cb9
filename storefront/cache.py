"""What the storefront keeps in the cache, and when it stops being true.

Deciding what can be sold (rights by territory, date and format; bundles whose
every item is sellable) and rendering rows of product cards is most of the cost
of a listing. Both depend only on the catalogue, the shopper's territory, the
day and the page language, so they are cached under a key made of those and of
the **catalogue version**: a token that every change to a catalogue row
replaces (see ``storefront.receivers``), which makes every entry derived from
the old catalogue unreachable at once.

Writes that bypass model signals (``bulk_create``, ``QuerySet.update``) do not
replace the version; every entry therefore also expires after
``STOREFRONT_CACHE_SECONDS`` (default 300), which bounds how long such a change
can go unseen. Nothing is sold on the strength of a cached listing: the cart
and checkout check rights again.

The cache is an accelerator, never a dependency: a miss, an unreachable Redis
or a backend that raises all fall back to computing the value.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.utils import timezone

logger = logging.getLogger("storefront.cache")

CATALOGUE_VERSION_KEY = "storefront:catalogue-version"
DEFAULT_SECONDS = 300
# A process reads the version from the cache at most once a second (a page builds several keys);
# the process that replaces it sees the new one at once, the others within that second.
VERSION_MEMO_SECONDS = 1.0
_memo: dict[str, Any] = {"version": None, "read_at": 0.0}
# A cache that fails or answers slowly (a Redis behind a broken network answers each call only at
# its socket timeout) is left alone for a while: pages compute instead of waiting on every call.
SLOW_CALL_SECONDS = 0.3  # the socket timeout of the Redis cache is 0.5 s
BYPASS_SECONDS = 30.0
_bypass = {"until": 0.0}
T = TypeVar("T")
_MISSING = object()


def cache_seconds() -> int:
    """How long a derived entry lives at most (``settings.STOREFRONT_CACHE_SECONDS``)."""
    return int(getattr(settings, "STOREFRONT_CACHE_SECONDS", DEFAULT_SECONDS))


def cache_enabled() -> bool:
    return cache_seconds() > 0 and time.monotonic() >= _bypass["until"]


def cache_state_reset() -> None:
    """Forget a past failure and the remembered version (tests that swap the cache)."""
    _bypass["until"] = 0.0
    _memo.update(version=None, read_at=0.0)


def _is_remote() -> bool:
    """A cache behind a network (Redis, Memcached): only such a cache is slow for reasons of its own."""
    from django.core.cache.backends.locmem import LocMemCache

    return not isinstance(caches["default"], LocMemCache)


def _call(operation: Callable[[], T], fallback: T, what: str) -> T:
    """``operation()`` on the cache; ``fallback`` when it fails. A failure or a slow answer
    leaves the cache alone for ``BYPASS_SECONDS``."""
    if time.monotonic() < _bypass["until"]:
        return fallback
    started = time.monotonic()
    try:
        result = operation()
    except Exception:
        logger.warning("cache %s failed; computing without it for %ss", what, BYPASS_SECONDS, exc_info=True)
        _bypass["until"] = time.monotonic() + BYPASS_SECONDS
        return fallback
    if time.monotonic() - started > SLOW_CALL_SECONDS and _is_remote():
        logger.warning(
            "cache %s took %.2fs; computing without it for %ss", what, time.monotonic() - started, BYPASS_SECONDS
        )
        _bypass["until"] = time.monotonic() + BYPASS_SECONDS
    return result


def cache_get(key: str, default: Any = None) -> Any:
    return _call(lambda: cache.get(key, default), default, "read")


def cache_get_many(keys: Iterable[str]) -> dict[str, Any]:
    return _call(lambda: dict(cache.get_many(list(keys))), {}, "read")


def cache_set(key: str, value: Any, timeout: int | None = None) -> None:
    seconds = cache_seconds() if timeout is None else timeout
    _call(lambda: cache.set(key, value, seconds), None, "write")


def catalogue_version() -> str:
    """The token that names the catalogue as it is now (made on first use).

    When the cache cannot be read a fresh token is returned, so that nothing
    derived from an older catalogue can be served."""
    if _memo["version"] is not None and time.monotonic() - _memo["read_at"] < VERSION_MEMO_SECONDS:
        return str(_memo["version"])

    def read() -> Any:
        version = cache.get(CATALOGUE_VERSION_KEY)
        if version is None:
            cache.add(CATALOGUE_VERSION_KEY, uuid.uuid4().hex[:12], None)
            version = cache.get(CATALOGUE_VERSION_KEY)
        return version

    version = _call(read, None, "version read")
    if not version:
        return f"uncached-{uuid.uuid4().hex[:12]}"
    _memo.update(version=version, read_at=time.monotonic())
    return str(version)


def catalogue_version_bump() -> None:
    """Retire every entry derived from the catalogue as it was (a catalogue row changed)."""
    version = uuid.uuid4().hex[:12]
    _memo.update(version=version, read_at=time.monotonic())
    try:
        # Not through _call: a bump must reach the cache even while reads are being skipped.
        cache.set(CATALOGUE_VERSION_KEY, version, None)
    except Exception:
        # Entries of the old version stay reachable until they expire (STOREFRONT_CACHE_SECONDS).
        logger.warning("could not replace the catalogue version", exc_info=True)


def catalogue_key(*parts: object) -> str:
    """A cache key for something derived from the catalogue today: ``parts`` plus the day and the version."""
    return ":".join(["storefront", *(str(p) for p in parts), timezone.localdate().isoformat(), catalogue_version()])


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value cached under ``key``, else ``compute()`` (kept for next time)."""
    if not cache_enabled():
        return compute()
    value = cache_get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = compute()
    cache_set(key, value)
    return value
