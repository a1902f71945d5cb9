"""Who did it: the signed-in user, or the visitor cookie of an anonymous shopper."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest

VISITOR_COOKIE = "zq_vid"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


def _looks_like_visitor_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def visitor_id(request: HttpRequest) -> str:
    """The anonymous visitor id of ``request``; minted (and later set as a cookie by
    ``insights.middleware.EventMiddleware``) when the browser has none yet."""
    existing: str | None = getattr(request, "_zq_visitor_id", None)
    if existing:
        return existing
    cookie = request.COOKIES.get(VISITOR_COOKIE, "")
    if _looks_like_visitor_id(cookie):
        value = cookie
    else:
        value = secrets.token_hex(16)
        request._zq_visitor_minted = True  # type: ignore[attr-defined]
    request._zq_visitor_id = value  # type: ignore[attr-defined]
    return value


def visitor_minted(request: HttpRequest) -> bool:
    return bool(getattr(request, "_zq_visitor_minted", False))


def request_actor(request: HttpRequest) -> dict[str, Any]:
    """``user`` and ``anonymous_id`` for an event done by the person behind ``request``.

    A signed-in user's events also carry the visitor id, so that what they did
    before logging in can be joined to them."""
    user = getattr(request, "user", None)
    anonymous_id = visitor_id(request)
    if user is not None and user.is_authenticated:
        return {"user": user, "anonymous_id": anonymous_id}
    return {"user": None, "anonymous_id": anonymous_id}
