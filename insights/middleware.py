"""Writes the events a request recorded after its response has gone out."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from insights.models import Event
from insights.services import event_record_many
from insights.visitors import VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE, visitor_id, visitor_minted


class EventMiddleware:
    """Collects the request's events and writes them in one insert when the
    server closes the response, i.e. after the shopper has the page; sets the
    visitor cookie when the request minted a visitor id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        pending: list[Event] = []
        request._zq_pending_events = pending  # type: ignore[attr-defined]
        response = self.get_response(request)
        if visitor_minted(request):
            response.set_cookie(
                VISITOR_COOKIE,
                visitor_id(request),
                max_age=VISITOR_COOKIE_MAX_AGE,
                samesite="Lax",
                httponly=True,
                secure=not settings.DEBUG and request.is_secure(),
            )
        if pending:
            closers = getattr(response, "_resource_closers", None)
            if isinstance(closers, list):
                closers.append(lambda: event_record_many(events=pending))
            else:
                event_record_many(events=pending)
        return response
