"""Events recorded in reaction to other apps' signals."""

from __future__ import annotations

import logging

logger = logging.getLogger("insights.events")


def connect() -> None:
    """Listen to commerce's ``order_paid`` when commerce provides it."""
    try:
        from commerce.signals import order_paid  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    order_paid.connect(_record_purchase, dispatch_uid="insights.order_paid")


def _record_purchase(sender: object, **kwargs: object) -> None:
    """One purchase event per product of the paid order (never raises)."""
