"""Recording behaviour events.

Contract for every function here: recording an event never raises and never
breaks the caller's transaction. A failed write is logged (logger
``insights.events``) and dropped; the page or the payment goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest

from catalog.models import Product
from insights.models import Event
from insights.visitors import request_actor
from users.models import Partner, User

logger = logging.getLogger("insights.events")

# The largest context kept with one event, as JSON text; larger ones are cut to their first keys.
CONTEXT_MAX_CHARS = 4000
UTM_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _context_clean(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe, bounded copy of ``context``."""
    if not context:
        return {}
    clean: dict[str, Any] = {}
    size = 2
    for key, value in context.items():
        try:
            text = json.dumps({str(key): value}, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            continue
        if size + len(text) > CONTEXT_MAX_CHARS:
            break
        clean[str(key)] = json.loads(text)[str(key)]
        size += len(text)
    return clean


def event_build(
    *,
    kind: str,
    user: User | None = None,
    anonymous_id: str = "",
    product: Product | int | None = None,
    context: Mapping[str, Any] | None = None,
    source: str = Event.Source.STOREFRONT,
    occurred_at: datetime | None = None,
    partner: Partner | None = None,
    client_event_id: str | None = None,
) -> Event:
    """An unsaved event; ``product`` may be a product or its primary key."""
    event = Event(
        kind=kind,
        user=user,
        anonymous_id=anonymous_id[:64],
        context=_context_clean(context),
        source=source,
        partner=partner,
        client_event_id=client_event_id,
    )
    if isinstance(product, Product):
        event.product = product
    elif product is not None:
        event.product_id = product
    if occurred_at is not None:
        event.occurred_at = occurred_at
    return event


def event_record_many(*, events: Iterable[Event], ignore_conflicts: bool = False) -> int:
    """Insert ``events`` in one statement inside a savepoint; return how many were written (0 on failure)."""
    rows = list(events)
    if not rows:
        return 0
    try:
        with transaction.atomic():
            Event.objects.bulk_create(rows, ignore_conflicts=ignore_conflicts)
    except (DatabaseError, IntegrityError, ValueError, TypeError):
        logger.exception("could not record %d behaviour event(s); dropped", len(rows))
        return 0
    return len(rows)


def event_record(**fields: Any) -> Event | None:
    """Write one event now (see ``event_build`` for the fields). Returns None on failure."""
    try:
        event = event_build(**fields)
    except (TypeError, ValueError):
        logger.exception("malformed behaviour event dropped")
        return None
    return event if event_record_many(events=[event]) else None


def request_utm(request: HttpRequest) -> dict[str, str]:
    """The UTM parameters of the request's query string, if any."""
    return {name: request.GET[name][:120] for name in UTM_PARAMETERS if request.GET.get(name)}


def event_record_for_request(
    *,
    request: HttpRequest,
    kind: str,
    product: Product | int | None = None,
    context: Mapping[str, Any] | None = None,
    source: str = Event.Source.STOREFRONT,
) -> None:
    """Record what the person behind ``request`` did, without making them wait for it.

    With ``insights.middleware.EventMiddleware`` installed the event is kept on
    the request and written, with the request's other events, in one insert after
    the response has been sent; without it, it is written at once."""
    try:
        merged = {**request_utm(request), **(context or {})}
        event = event_build(kind=kind, product=product, context=merged, source=source, **request_actor(request))
    except Exception:  # a broken event must never become a broken page
        logger.exception("could not build a behaviour event for %s", request.path)
        return
    pending: list[Event] | None = getattr(request, "_zq_pending_events", None)
    if pending is None:
        event_record_many(events=[event])
    else:
        pending.append(event)


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    duplicates: int


def event_batch_ingest(*, partner: Partner, events: list[dict[str, Any]]) -> BatchResult:
    """Store a validated batch sent by ``partner``'s app.

    Each item has ``kind``, ``anonymous_id``, ``product_id`` (or None),
    ``occurred_at``, ``context`` and an optional ``id``. An item whose ``id`` the
    partner has sent before is a duplicate and is skipped, so resending a batch
    after a timeout is safe. Unlike storefront events, a batch is all or nothing:
    a database failure raises, and the partner sends it again."""
    ids = [item["id"] for item in events if item.get("id")]
    already = set(
        Event.objects.filter(partner=partner, client_event_id__in=ids).values_list("client_event_id", flat=True)
    )
    fresh: list[Event] = []
    seen: set[str] = set()
    for item in events:
        client_id = item.get("id") or None
        if client_id is not None:
            if client_id in already or client_id in seen:
                continue
            seen.add(client_id)
        fresh.append(
            event_build(
                kind=item["kind"],
                anonymous_id=item["anonymous_id"],
                product=item.get("product_id"),
                context=item.get("context"),
                source=Event.Source.PARTNER_API,
                occurred_at=item["occurred_at"],
                partner=partner,
                client_event_id=client_id,
            )
        )
    with transaction.atomic():
        # A concurrent resend of the same ids loses the race quietly instead of failing the batch.
        Event.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=bool(seen))
    return BatchResult(accepted=len(fresh), duplicates=len(events) - len(fresh))
