"""Brute-force protection for logging in, on the page and through the API.

Failed logins are counted in the cache twice: per account (the email tried) and per client
address. Once either count reaches its limit inside the window, every further attempt for that
account, or from that address, is refused with a message saying when to try again, without
checking the password (so guessing stops costing us an Argon2 hash, too). A successful login
clears the account's count. The window is fixed: it starts with the first failure.

Counts live in the shared cache (Redis in production), so every Gunicorn process sees the same
numbers. When the cache is down the check lets attempts through: logging in keeps working, and
the API's per-address request throttle still applies.
"""

from __future__ import annotations

import hashlib
import logging
import math

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

from core.errors import DomainError

logger = logging.getLogger(__name__)


class LoginThrottled(DomainError):
    code = "login_throttled"
    status_code = 429

    def __init__(self, message: object, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT", 5)),
        int(getattr(settings, "LOGIN_FAILURES_PER_ADDRESS", 20)),
        int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)),
    )


def _key(kind: str, value: str) -> str:
    # Hashed: cache keys must be short and safe, and an email is personal data.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def client_address(request: HttpRequest | None) -> str:
    """The peer address as the WSGI server saw it (a proxy in front must set it; a client-sent
    ``X-Forwarded-For`` is never trusted here)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")


def _count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception:  # a cache outage must not lock everyone out
        logger.warning("login throttle: cache unavailable, not counting", exc_info=True)
        return 0


def _retry_after(key: str, window: int) -> int:
    ttl = getattr(cache, "ttl", None)
    if ttl is not None:
        try:
            left = ttl(key)
            if isinstance(left, int) and left > 0:
                return left
        except Exception:
            logger.warning("login throttle: cache unavailable, assuming a full window", exc_info=True)
    return window


def login_throttle_check(*, email: str, address: str) -> None:
    """Raise :class:`LoginThrottled` when this account or this address has failed too often."""
    per_account, per_address, window = _limits()
    for kind, value, limit in (("account", email, per_account), ("address", address, per_address)):
        if not value:
            continue
        key = _key(kind, value)
        if _count(key) >= limit:
            minutes = max(1, math.ceil(_retry_after(key, window) / 60))
            if kind == "account":
                message = ngettext(
                    "Too many failed logins for this account. Try again in %(minutes)d minute, or reset your password.",
                    "Too many failed logins for this account. Try again in %(minutes)d minutes, "
                    "or reset your password.",
                    minutes,
                ) % {"minutes": minutes}
            else:
                message = ngettext(
                    "Too many failed logins from your network. Try again in %(minutes)d minute.",
                    "Too many failed logins from your network. Try again in %(minutes)d minutes.",
                    minutes,
                ) % {"minutes": minutes}
            raise LoginThrottled(message, retry_after=minutes * 60)


def login_failure_record(*, email: str, address: str) -> None:
    """Count one failed login against the account and the address."""
    _per_account, _per_address, window = _limits()
    for kind, value in (("account", email), ("address", address)):
        if not value:
            continue
        key = _key(kind, value)
        try:
            cache.add(key, 0, timeout=window)
            cache.incr(key)
        except ValueError:
            # The key expired between add and incr: this failure opens a new window.
            cache.set(key, 1, timeout=window)
        except Exception:
            logger.warning("login throttle: cache unavailable, failure not counted", exc_info=True)


def login_success_clear(*, email: str) -> None:
    """A successful login clears the account's count (not the address's: one right password
    must not reset a network's guessing budget)."""
    try:
        cache.delete(_key("account", email))
    except Exception:
        logger.warning("login throttle: cache unavailable", exc_info=True)
