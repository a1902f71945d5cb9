"""Logging what was shown: one ``recommendation_impression`` event per product of a served list.

Each event's context carries ``model_version``, ``slot`` and ``position`` (the
keys ``insights.funnels`` and the model dashboard group by). Recording never
raises (see ``insights.services``).
"""

from __future__ import annotations

from collections.abc import Sequence

from insights.models import Event
from insights.services import event_build, event_record_many
from users.models import Partner, User


def recommendation_impressions_record(
    *,
    product_ids: Sequence[int],
    model_version: str,
    slot: str,
    user: User | None = None,
    anonymous_id: str = "",
    source: str = Event.Source.SYSTEM,
    partner: Partner | None = None,
    reasons: Sequence[str] | None = None,
) -> int:
    """Record the impressions of one served list, in one insert; returns how many were written."""
    if not product_ids or (user is None and not anonymous_id):
        return 0
    events = [
        event_build(
            kind=Event.Kind.RECOMMENDATION_IMPRESSION,
            user=user,
            anonymous_id=anonymous_id,
            product=product_id,
            source=source,
            partner=partner,
            context={
                "model_version": model_version,
                "slot": slot,
                "position": position,
                **({"reason": reasons[position - 1]} if reasons and len(reasons) >= position else {}),
            },
        )
        for position, product_id in enumerate(product_ids, start=1)
    ]
    return event_record_many(events=events)
