"""Events recorded in reaction to other apps' signals."""

from __future__ import annotations

import logging
from typing import Any

from commerce.signals import order_paid
from insights.models import Event
from insights.services import event_build, event_record_many

logger = logging.getLogger("insights.events")


def connect() -> None:
    order_paid.connect(purchase_events_record, dispatch_uid="insights.order_paid")


def purchase_events_record(sender: object, order: Any = None, **kwargs: object) -> int:
    """One purchase event per line of the paid ``order`` (a bundle line names its items in
    the context). Never raises: a failure is logged and the payment goes on."""
    if order is None:
        return 0
    try:
        lines = list(order.lines.prefetch_related("items").order_by("pk"))
        events = [
            event_build(
                kind=Event.Kind.PURCHASE,
                user=order.user,
                product=line.product_id,
                source=Event.Source.SYSTEM,
                occurred_at=order.paid_at,
                context={
                    "order": order.number,
                    "format": line.format,
                    "quantity": line.quantity,
                    "price_paid": str(line.price_paid),
                    "currency": order.currency,
                    "items": [item.product_id for item in line.items.all()],
                    **({"utm": line.attribution["utm"]} if line.attribution.get("utm") else {}),
                },
            )
            for line in lines
        ]
    except Exception:  # the shopper has paid: an analytics failure must not undo that
        logger.exception("could not build purchase events for order %s", getattr(order, "number", "?"))
        return 0
    return event_record_many(events=events)
