"""Captures UTM parameters and referral codes on landing (see ``promotions.attribution``).

Put it after the session and authentication middleware. Reading the result is
``promotions.selectors.attribution_for_request(request)``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import signing
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from promotions.attribution import (
    COOKIE_NAME,
    COOKIE_SALT,
    SESSION_KEY,
    Attribution,
    attribution_merge,
    attribution_window,
    touch_from_query,
)


def stored_attribution(request: HttpRequest) -> Attribution:
    """The session's attribution, else the signed cookie's; tampered or stale cookies count as none."""
    session = getattr(request, "session", None)
    data = session.get(SESSION_KEY) if session is not None else None
    if data is None:
        try:
            data = signing.loads(
                request.COOKIES.get(COOKIE_NAME, ""),
                salt=COOKIE_SALT,
                max_age=attribution_window(),
            )
        except signing.BadSignature:
            data = None
    return Attribution.from_dict(data)


class AttributionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        touch = None
        if request.method == "GET" and request.GET and not request.path.startswith(("/admin/", "/api/", "/static/")):
            touch = touch_from_query(request.GET, path=request.path, at=timezone.now())
        merged = None
        if touch is not None:
            before = stored_attribution(request)
            merged = attribution_merge(before, touch, now=touch.at)
            session = getattr(request, "session", None)
            if session is not None:
                session[SESSION_KEY] = merged.as_dict()
            # Seen by this request's views already.
            request._promotions_attribution = merged  # type: ignore[attr-defined]
            if touch.ref and touch.ref != before.referral_code:
                self._count_click(touch.ref)
        response = self.get_response(request)
        if merged is not None:
            response.set_cookie(
                COOKIE_NAME,
                signing.dumps(merged.as_dict(), salt=COOKIE_SALT, compress=True),
                max_age=int(attribution_window().total_seconds()),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    @staticmethod
    def _count_click(code: str) -> None:
        from promotions.models import ReferralLink

        ReferralLink.objects.filter(code=code, is_active=True).update(clicks=F("clicks") + 1)
