"""The storefront's browser beacon: clicks, previews and recommendation impressions."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from insights.models import Event
from insights.selectors import product_ids_existing
from insights.services import event_build, event_record_many
from insights.visitors import request_actor

logger = logging.getLogger("insights.events")

BEACON_MAX_BYTES = 16 * 1024
BEACON_MAX_EVENTS = 50
# The server records views, searches, carts and purchases itself; the browser adds what only it sees.
BEACON_KINDS = {Event.Kind.CLICK, Event.Kind.PREVIEW, Event.Kind.RECOMMENDATION_IMPRESSION}


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": 400, "code": "invalid", "message": message}}, status=400)


def _parse(request: HttpRequest) -> list[dict[str, Any]] | str:
    """The beacon's events, or what is wrong with them."""
    if len(request.body) > BEACON_MAX_BYTES:
        return _("The beacon is larger than 16 KB.")
    try:
        payload = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _("The beacon is not JSON.")
    items = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return _("The beacon has no events.")
    if len(items) > BEACON_MAX_EVENTS:
        return _("A beacon carries at most 50 events.")
    for item in items:
        if not isinstance(item, dict) or item.get("kind") not in BEACON_KINDS:
            return _("Unknown event kind.")
        product = item.get("product")
        if product is not None and not (isinstance(product, int) and product > 0):
            return _("product must be a product id.")
        if not isinstance(item.get("context", {}), dict):
            return _("context must be an object.")
    return items


# sendBeacon() cannot send the CSRF header; a forged beacon could only add clicks to the
# forger's own visitor id, which is what a click by that browser would do anyway.
@csrf_exempt
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    """Record the browser's events for the visitor of this session. 204 when stored or
    dropped by a failure; 400 only for a malformed beacon."""
    parsed = _parse(request)
    if isinstance(parsed, str):
        return _bad(parsed)
    try:
        known = product_ids_existing(ids=[i["product"] for i in parsed if i.get("product")])
        actor = request_actor(request)
        events = [
            event_build(
                kind=item["kind"],
                product=item["product"] if item.get("product") in known else None,
                context=item.get("context"),
                source=Event.Source.BEACON,
                **actor,
            )
            for item in parsed
        ]
        event_record_many(events=events)
    except Exception:  # the beacon never answers 500: the page that sent it does not care
        logger.exception("beacon dropped")
    return HttpResponse(status=204)
